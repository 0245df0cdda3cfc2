"""A Faust agent that does nothing but take the events in batches: the ceiling of any projection.

    python -m bench.faust_ceiling --loop uvloop worker --without-web   (env: KAFKA_BOOTSTRAP, BENCH_TOPIC,
    BENCH_EVENTS, BENCH_GROUP)

Prints `ceiling: N events/s` after BENCH_EVENTS events and exits. Same batching as the real
agents (projections/app.py), so projection rate / ceiling is the share our own code leaves.
"""

from __future__ import annotations

import os
import time

import faust

from verifier.settings import Settings

settings = Settings.from_env()
app = faust.App(
    os.environ.get("BENCH_GROUP", "bench-ceiling"),
    broker=[f"kafka://{host}" for host in settings.kafka_bootstrap.split(",")],
    store="memory://",
    web_enabled=False,
    autodiscover=False,
    consumer_auto_offset_reset="earliest",
    broker_max_poll_records=settings.projection_batch_size * 2,
    stream_buffer_maxsize=settings.projection_batch_size * 8,
)
topic = app.topic(
    os.environ["BENCH_TOPIC"], key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
)
expected = int(os.environ["BENCH_EVENTS"])
seen = {"n": 0, "t0": 0.0}


@app.agent(topic)
async def count(stream: faust.StreamT[bytes]) -> None:
    batches = stream.take_events(  # type: ignore[attr-defined]
        settings.projection_batch_size, within=settings.projection_batch_window_s
    )
    async for batch in batches:
        if not seen["n"]:
            seen["t0"] = time.monotonic()
        seen["n"] += len(batch)
        if seen["n"] >= expected:
            rate = (seen["n"] - len(batch)) / max(time.monotonic() - seen["t0"], 1e-9)
            print(f"ceiling: {rate:.0f} events/s", flush=True)
            os._exit(0)


if __name__ == "__main__":
    app.main()
