"""What mTLS costs: the same stack served plaintext and with mTLS, measured in one run.

    python -m bench.tls [--seconds 10] [--concurrency 32] [--connections 4]

Its own Kafka and Redis on free ports, one Faust worker, and two verifier processes on the same log
and read model: one with the development plaintext flag (what the other benchmarks measure), one
with mTLS and the role policy (what production runs). For each: `Diagnostics.Echo` and typed
`VerifyCard` closed-loop for `--seconds`, and the time to open a new connection (TCP + TLS
handshake with client certificate) up to its first answer. Ratios within the run are the figures
to compare (the machine is shared, absolute rates are noisy). Writes BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc

from bench.report import write_section
from bench.stack import bench_stack
from infra.local.pki import ensure_local_pki
from infra.local.procs import free_port, wait_until
from infra.stack import local_tls
from tests.support.client import Client, enrollment
from tests.support.processes import verifier_process
from verifier.client_channel import ClientTls, aio_channel
from verifier.settings import Settings

PEOPLE = 200


async def closed_loop(
    call: Callable[[int], Awaitable[object]], seconds: float, concurrency: int
) -> tuple[float, list[float]]:
    """Requests per second and latencies with `concurrency` requests always in flight."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        i = n
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call(i)
            latencies.append(time.perf_counter() - started)
            i += concurrency

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def measure(
    target: str, tls: ClientTls | None, seconds: float, concurrency: int, connections: int
) -> dict[str, float]:
    options = [("grpc.use_local_subchannel_pool", 1)]  # separate connections, as separate kiosks
    channels = [aio_channel(target, tls, options) for _ in range(connections)]
    try:
        diagnostics = [api_grpc.DiagnosticsStub(c) for c in channels]
        checkin = [api_grpc.CheckInStub(c) for c in channels]

        async def echo(i: int) -> object:
            return await diagnostics[i % connections].Echo(api.EchoRequest(payload=b"x" * 64), timeout=30)

        async def typed(i: int) -> object:
            # With mTLS the facility and kiosk come from the certificate; plaintext names them.
            facility, kiosk = ("", "") if tls else ("40-001", "local")
            request = api.VerifyCardRequest(
                card_number=f"GD440{4000000000 + i % PEOPLE:010d}",
                staff_id="bench",
                facility_id=facility,
                kiosk_id=kiosk,
            )
            return await checkin[i % connections].VerifyCard(request, timeout=30)

        await closed_loop(typed, 2, concurrency)  # warm-up: connections, caches
        echo_rate, echo_lat = await closed_loop(echo, seconds, concurrency)
        typed_rate, typed_lat = await closed_loop(typed, seconds, concurrency)
    finally:
        for c in channels:
            await c.close()
    handshakes = []
    for _ in range(30):
        started = time.perf_counter()
        async with aio_channel(target, tls, options) as fresh:
            await api_grpc.DiagnosticsStub(fresh).Echo(api.EchoRequest(payload=b"x"), timeout=30)
        handshakes.append(time.perf_counter() - started)
    return {
        "echo": echo_rate,
        "echo_p50": statistics.median(echo_lat) * 1000,
        "typed": typed_rate,
        "typed_p50": statistics.median(typed_lat) * 1000,
        "typed_p99": statistics.quantiles(typed_lat, n=100)[98] * 1000,
        "connect": statistics.median(handshakes) * 1000,
    }


def run(tmp: Path, seconds: float, concurrency: int, connections: int) -> str:
    pki = tmp / "pki"
    ensure_local_pki(pki)
    with bench_stack(tmp) as stack:
        plain = stack.settings
        secure: Settings = plain.with_(
            grpc_listen=f"127.0.0.1:{free_port()}",
            insecure_plaintext=0,
            producer_name="verifier-tls",
            **local_tls(pki),
        )
        logs = tmp / "logs-tls"
        logs.mkdir()
        with verifier_process(secure, logs):
            admin = Client(plain.grpc_listen)
            for i in range(PEOPLE):
                admin.participation.EnrollParticipant(enrollment(f"GD440{4000000000 + i:010d}"), timeout=15)
            last = f"GD440{4000000000 + PEOPLE - 1:010d}"
            wait_until(lambda: admin.status(last).found, timeout=60, what="participants projected")
            admin.close()
            kiosk = ClientTls.from_pki(pki, "kiosk-local")
            figures = {
                "plaintext": asyncio.run(measure(plain.grpc_listen, None, seconds, concurrency, connections)),
                "mTLS": asyncio.run(measure(secure.grpc_listen, kiosk, seconds, concurrency, connections)),
            }
    rows = [
        "| served | echo/s | echo p50 ms | typed check-ins/s | typed p50 ms | typed p99 ms "
        "| new connection to first answer, ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        rows.append(
            f"| {name} | {f['echo']:,.0f} | {f['echo_p50']:.1f} | {f['typed']:,.0f} | {f['typed_p50']:.1f} "
            f"| {f['typed_p99']:.1f} | {f['connect']:.1f} |"
        )
    p, s = figures["plaintext"], figures["mTLS"]
    rows += [
        "",
        f"With mTLS, echo runs at **{s['echo'] / p['echo']:.0%}** and typed check-ins at "
        f"**{s['typed'] / p['typed']:.0%}** of plaintext in the same run ({concurrency} requests in flight "
        f"over {connections} connections, {seconds:.0f} s each). A new connection costs "
        f"{s['connect'] - p['connect']:+.1f} ms more with its TLS handshake; kiosks keep theirs open.",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per measurement (default 10)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--connections", type=int, default=4, help="gRPC connections (default 4)")
    parser.add_argument("--no-write", action="store_true", help="print only, leave BENCHMARKS.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tls-") as tmp:
        body = run(Path(tmp), args.seconds, args.concurrency, args.connections)
    print(body)
    if not args.no_write:
        command = f"python -m bench.tls --seconds {args.seconds:g} --concurrency {args.concurrency}"
        write_section("mTLS: what it costs", command + f" --connections {args.connections}", body)


if __name__ == "__main__":
    main()
