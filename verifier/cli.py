"""`python -m verifier` (or `bhyt`): run the server, or talk to one as a kiosk, the app or an admin.

Client commands print the answer as JSON; errors are one line on stderr and a non-zero exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc
import uvloop
from aiokafka.errors import KafkaError as AIOKafkaError
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from kafka.errors import KafkaError

from verifier import logs
from verifier.accounts_cli import add_account_parsers
from verifier.adapters.kafka_log import ensure_topics
from verifier.bootstrap import StartupError, start_verifier, utc_now
from verifier.chip.cli import add_chip_parser
from verifier.client_channel import ClientTls, channel
from verifier.imports.rows import COLUMNS
from verifier.imports.run import run_import
from verifier.legacy_qr_cli import add_qr_parser
from verifier.lifecycle_cli import add_lifecycle_parsers
from verifier.processes import ProcessesError, serve_processes
from verifier.settings import Settings
from verifier.tokens.cli import add_token_parser
from verifier.verdict_text import verdict_lines


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:  # BHYT_LOG_FORMAT=json: one JSON object per line (README "Operations")
        settings = Settings.from_env()
        logs.configure(getattr(logging, args.log_level), settings.log_format)
        if not settings.access_log:
            logging.getLogger("verifier.access").setLevel(logging.WARNING)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(3)
    # kafka-python logs every reconnect attempt; the server keeps its warnings, commands print one error.
    quiet = logging.WARNING if args.run is _serve else logging.CRITICAL
    logging.getLogger("kafka").setLevel(max(quiet, logging.getLogger().level))
    try:
        code = args.run(args)
    except (StartupError, ProcessesError) as e:
        print(f"error: {e}", file=sys.stderr)
        code = 3
    except (KafkaError, AIOKafkaError) as e:
        print(f"error: Kafka at {Settings.from_env().kafka_bootstrap} is not usable: {e!r}", file=sys.stderr)
        code = 3
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 3
    except grpc.RpcError as e:
        print(f"error: {e.code().name}: {e.details()}", file=sys.stderr)
        code = 2
    except ClientSetupError as e:
        print(f"error: {e}", file=sys.stderr)
        code = 2
    sys.exit(code)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m verifier",
        description="BHYT check-in verifier. Settings come from the environment "
        "(KAFKA_BOOTSTRAP, REDIS_URL, BHYT_GRPC_LISTEN, ...; see README).",
    )
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    sub = p.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the gRPC verifier until SIGTERM/Ctrl-C")
    serve.add_argument(
        "--listen", help="host:port to listen on (default BHYT_GRPC_LISTEN or 127.0.0.1:50051)"
    )
    serve.add_argument(
        "--processes",
        type=int,
        help="server processes sharing the port, one core each (default BHYT_SERVER_PROCESSES or 1)",
    )
    serve.set_defaults(run=_serve)

    def client(name: str, help_: str, role: str) -> argparse.ArgumentParser:
        return add_connection_args(sub.add_parser(name, help=help_), role)

    enroll = client("enroll", "enroll a participant (records a ParticipantEnrolled event)", "admin")
    enroll.add_argument("card_number", help="15-character card number, e.g. GD4404016354956")
    enroll.add_argument("--name", required=True, help="full name, e.g. 'Nguyễn Văn An'")
    enroll.add_argument(
        "--dob", required=True, help="date of birth YYYY-MM-DD, or YYYY when only the year is known"
    )
    enroll.add_argument("--gender", choices=["male", "female"], required=True)
    enroll.add_argument("--facility", required=True, help="registered initial-care facility, e.g. 40-C54")
    enroll.add_argument("--valid-from", required=True, help="YYYY-MM-DD")
    # An open-ended card must be asked for by name: a forgotten --valid-to is an error, not a card
    # valid for ever.
    end = enroll.add_mutually_exclusive_group(required=True)
    end.add_argument("--valid-to", default="", help="YYYY-MM-DD")
    end.add_argument("--open-ended", action="store_true", help="a card without an end date")
    enroll.add_argument("--personal-id", default="", help="12-digit CCCD number")
    enroll.set_defaults(run=_enroll)

    check = client("checkin", "verify a card at a kiosk (records a CheckInVerified event)", "kiosk")
    check.add_argument("card_number", help="15-character card number or 10-digit social insurance number")
    add_station_args(check)
    check.add_argument("--name", default="", help="name to check against the record (VSS 060/061)")
    check.add_argument("--dob", default="", help="date of birth YYYY-MM-DD or YYYY to check (VSS 070)")
    check.add_argument("--gender", choices=["male", "female"], help="gender to check (VSS 080)")
    check.add_argument(
        "--check-facility", action="store_true", help="require the registered facility (VSS 090)"
    )
    check.set_defaults(run=_checkin)

    imp = sub.add_parser(
        "import",
        help="bulk-import participants from CSV or JSON Lines (resumable, idempotent)",
        description="Bulk-import participants: each row becomes enrollment events on Kafka. Columns: "
        + ", ".join(COLUMNS)
        + ". Bad rows go to the reject file with their line number and reason. Ctrl-C stops at the "
        "next batch; running the same command again resumes; a completed file is never imported twice.",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--format", choices=["auto", "csv", "jsonl"], default="auto", help="default: from the suffix"
    )
    imp.add_argument("--rejects", type=Path, help="reject file (default FILE.rejects.csv)")
    imp.add_argument("--batch", type=int, default=5000, help="rows per durable checkpoint (default 5000)")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")
    imp.set_defaults(run=_import)

    rep = sub.add_parser(
        "repartition",
        help="copy a topic into a new one with another partition count, each person's events in order",
        description="Copy every event of SOURCE into a new topic TARGET with --partitions partitions and "
        "SOURCE's retention and compaction settings, each key's events kept in order. Then point the "
        "BHYT_TOPIC_* setting at TARGET and rebuild the projections: README, 'Changing the partition "
        "count'. Stop the verifiers first: events written to SOURCE during the copy are not copied.",
    )
    rep.add_argument("source", help="the topic to copy, e.g. bhyt.checkins.v1")
    rep.add_argument("target", help="the new topic; it must not exist yet")
    rep.add_argument("--partitions", type=int, required=True, help="the new topic's partition count")
    rep.add_argument(
        "--replication", type=int, help="the new topic's replication (default BHYT_TOPIC_REPLICATION)"
    )
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")
    rep.set_defaults(run=_repartition)

    status = client("status", "a participant's status and recent usage, as the mobile app shows it", "app")
    status.add_argument("number", help="card number, social insurance number (10) or personal id (12)")
    status.set_defaults(run=_status)

    scan = client("scan", "verify what a kiosk scanned: a card token (BHYT1:...), a BHYT or CCCD QR", "kiosk")
    scan.add_argument("scanned", help="the scanned text, or - to read it from stdin")
    add_station_args(scan)
    scan.add_argument(
        "--check-facility", action="store_true", help="require the registered facility (VSS 090)"
    )
    scan.set_defaults(run=_scan)

    token_actions = add_token_parser(sub)
    issue = token_actions.add_parser("issue", help="have the verifier issue a card token, as the app does")
    issue.add_argument("number", help="card number, social insurance number (10) or personal id (12)")
    issue.add_argument("--png", type=Path, help="also write the token as a PNG QR code to this file")
    add_connection_args(issue, "app")
    issue.set_defaults(run=_issue_token)

    keys = sub.add_parser("keys", help="card-token signing keys: list, trust, revoke, reload (admin)")
    key_actions = keys.add_subparsers(required=True, metavar="ACTION")

    def key_action(name: str, help_: str) -> argparse.ArgumentParser:
        return add_connection_args(key_actions.add_parser(name, help=help_), "admin")

    key_action("list", "every key the verifier trusts, and which one signs").set_defaults(run=_keys_list)
    trust = key_action("trust", "trust a signer certificate on every verifier (records an event)")
    trust.add_argument("certificate", type=Path, help="PEM, DER or base64 DER certificate file")
    trust.add_argument("--reason", default="", help="why, for the audit trail")
    trust.set_defaults(run=_keys_trust)
    revoke = key_action("revoke", "refuse every token signed by a key, on every verifier (records an event)")
    revoke.add_argument("kid", help="the key id, 16 hex digits (see `keys list`)")
    revoke.add_argument("--reason", required=True, help="why, for the audit trail")
    revoke.set_defaults(run=_keys_revoke)
    key_action("reload", "re-read the keys directory of this verifier (picks up a rotated key)").set_defaults(
        run=_keys_reload
    )

    add_lifecycle_parsers(sub, add_connection_args, _ask)
    add_account_parsers(sub, add_connection_args, _ask)
    add_qr_parser(sub)
    add_chip_parser(sub)
    return p


class ClientSetupError(Exception):
    """A client command cannot connect as asked (no certificate given, unreadable file)."""


def add_connection_args(c: argparse.ArgumentParser, role: str) -> argparse.ArgumentParser:
    """`role`: whose certificate the command needs (kiosk, app, monitoring, admin)."""
    env = os.environ
    c.add_argument("--target", help="verifier host:port (default BHYT_GRPC_LISTEN or 127.0.0.1:50051)")
    c.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the answer")
    tls = c.add_argument_group(
        "mTLS",
        f"the client certificate naming who calls (this command needs the {role} role): a local CA "
        "directory and a certificate in it (`infra/stack up` prints its directory), or the files",
    )
    tls.add_argument(
        "--pki-dir", default=env.get("BHYT_CLIENT_PKI_DIR"), help="local CA directory (BHYT_CLIENT_PKI_DIR)"
    )
    tls.add_argument(
        "--identity",
        default=f"{role}-local",
        help=f"certificate in --pki-dir, file name without .pem (default {role}-local)",
    )
    tls.add_argument("--ca", default=env.get("BHYT_CLIENT_CA_FILE"), help="CA PEM (BHYT_CLIENT_CA_FILE)")
    tls.add_argument(
        "--cert", default=env.get("BHYT_CLIENT_CERT_FILE"), help="certificate PEM (BHYT_CLIENT_CERT_FILE)"
    )
    tls.add_argument("--key", default=env.get("BHYT_CLIENT_KEY_FILE"), help="key PEM (BHYT_CLIENT_KEY_FILE)")
    tls.add_argument(
        "--plaintext",
        action="store_true",
        help="no TLS, for a development server started with BHYT_INSECURE_PLAINTEXT=1 (also the "
        "default when that is set and no certificate is given)",
    )
    return c


def add_station_args(c: argparse.ArgumentParser) -> None:
    c.add_argument(
        "--staff",
        default=os.environ.get("BHYT_STAFF_ID"),
        required="BHYT_STAFF_ID" not in os.environ,
        help="who performs the check-in, recorded for audit (BHYT_STAFF_ID)",
    )
    c.add_argument(
        "--facility", default="", help="the kiosk's facility, e.g. 40-C54 (from the certificate with mTLS)"
    )
    c.add_argument("--kiosk", default="", help="kiosk id (from the certificate with mTLS)")


def _client_tls(args: argparse.Namespace) -> ClientTls | None:
    """A certificate given wins; plaintext only when asked for, or when the development flag is set
    and no certificate is given."""
    certificate = bool(args.ca and args.cert and args.key) or bool(args.pki_dir)
    if args.plaintext and certificate:
        raise ClientSetupError("--plaintext and a client certificate: choose one")
    if args.plaintext:
        return None
    try:
        if args.ca and args.cert and args.key:
            return ClientTls.from_files(Path(args.ca), Path(args.cert), Path(args.key))
        if args.pki_dir:
            return ClientTls.from_pki(Path(args.pki_dir), args.identity)
    except ValueError as e:
        raise ClientSetupError(str(e)) from e
    if os.environ.get("BHYT_INSECURE_PLAINTEXT") == "1":
        return None
    raise ClientSetupError(
        "no client certificate: give --pki-dir (BHYT_CLIENT_PKI_DIR; `infra/stack up` prints it), or "
        "--ca, --cert and --key; --plaintext for a development server"
    )


def _serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.listen:
        settings = settings.with_(grpc_listen=args.listen)
    if args.processes:
        settings = settings.with_(server_processes=args.processes)
    if settings.server_loop not in ("uvloop", "asyncio"):
        raise StartupError(f"BHYT_SERVER_LOOP={settings.server_loop!r}: expected uvloop or asyncio")
    if settings.server_processes > 1:
        return serve_processes(settings)
    if settings.server_loop == "uvloop":
        uvloop.run(_serve_until_signal(settings))
    else:
        asyncio.run(_serve_until_signal(settings))
    return 0


async def _serve_until_signal(settings: Settings) -> None:
    # Handlers first: a SIGTERM while starting (a supervisor stopping a set of processes) is a clean
    # stop once the start has finished, not a kill half-way through connecting.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, lambda: None)  # no trust to reload yet
    running = await start_verifier(settings)
    loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(running.reload_trust()))
    host = settings.grpc_listen.rsplit(":", 1)[0]
    print(f"verifier listening on {host}:{running.port}", flush=True)
    await stop.wait()
    await running.stop()


def _call(args: argparse.Namespace, rpc: str, stub_class: type, request: Message) -> int:
    _print(_ask(args, rpc, stub_class, request))
    return 0


def _check_in(args: argparse.Namespace, rpc: str, request: Message) -> int:
    """The verdict in words for the person at the desk (Vietnamese first) on stderr, the answer as
    JSON on stdout for scripts."""
    answer = _ask(args, rpc, api_grpc.CheckInStub, request)
    assert isinstance(answer, api.CheckInDecision)
    print("\n".join(verdict_lines(answer)), file=sys.stderr)
    _print(answer)
    return 0


def _ask(args: argparse.Namespace, rpc: str, stub_class: type, request: Message) -> Message:
    target = args.target or Settings.from_env().grpc_listen
    with channel(target, _client_tls(args)) as open_channel:
        answer: Message = getattr(stub_class(open_channel), rpc)(request, timeout=args.timeout)
    return answer


def _print(answer: Message) -> None:
    print(
        json.dumps(
            MessageToDict(
                answer, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
            ),
            ensure_ascii=False,
            indent=2,
        )
    )


def _enroll(args: argparse.Namespace) -> int:
    gender = _GENDERS[args.gender]
    request = api.EnrollParticipantRequest(
        card_number=args.card_number,
        full_name=args.name,
        date_of_birth=args.dob,
        gender=gender,
        registered_facility=args.facility,
        valid_from=args.valid_from,
        valid_to=args.valid_to,
        personal_id=args.personal_id,
    )
    return _call(args, "EnrollParticipant", api_grpc.ParticipationStub, request)


_GENDERS = {"male": ev.GENDER_MALE, "female": ev.GENDER_FEMALE}


def _checkin(args: argparse.Namespace) -> int:
    number = args.card_number.strip()
    by_personal_id = len(number) == 12 and number.isdigit()
    request = api.VerifyCardRequest(
        card_number="" if by_personal_id else args.card_number,
        personal_id=number if by_personal_id else "",
        facility_id=args.facility,
        kiosk_id=args.kiosk,
        staff_id=args.staff,
        full_name=args.name,
        date_of_birth=args.dob,
        gender=_GENDERS.get(args.gender or "", ev.GENDER_UNSPECIFIED),
        check_registered_facility=args.check_facility,
    )
    return _check_in(args, "VerifyCard", request)


def _import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        print(f"error: no such file: {args.file}", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    try:
        ensure_topics(settings)
    except KafkaError as e:
        raise StartupError(f"Kafka at {settings.kafka_bootstrap} is not usable: {e}") from e
    report = run_import(
        args.file, settings, fmt=args.format, rejects=args.rejects, batch_rows=args.batch,
        progress=not args.no_progress, clock=utc_now,
    )  # fmt: skip
    if report.already_imported:
        print(f"already imported ({report.file_sha256[:12]}): nothing written", file=sys.stderr)
    elif report.interrupted:
        print(f"interrupted after row {report.rows_done}; run the same command to resume", file=sys.stderr)
    else:
        print(
            f"imported {report.rows_accepted} rows ({report.rows_rejected} rejected) as "
            f"{report.events_written} events in {report.seconds:.1f}s "
            f"({report.events_per_second:,.0f} events/s)",
            file=sys.stderr,
        )
    print(json.dumps(dataclasses.asdict(report) | {"events_per_second": round(report.events_per_second)}))
    return 130 if report.interrupted else 0


def _repartition(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from verifier.adapters.repartition import RepartitionRefused, repartition

    settings = Settings.from_env()
    replication = args.replication or settings.topic_replication
    with tqdm(unit=" events", disable=args.no_progress, desc=f"{args.source} -> {args.target}") as bar:
        try:
            copied = repartition(
                settings.kafka_bootstrap, args.source, args.target, args.partitions,
                replication=replication, progress=bar.update,
            )  # fmt: skip
        except RepartitionRefused as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    print(json.dumps(dataclasses.asdict(copied)))
    return 0


def _status(args: argparse.Namespace) -> int:
    number = args.number.strip()
    if len(number) == 12 and number.isdigit():
        request = api.GetCardStatusRequest(personal_id=number)
    else:
        request = api.GetCardStatusRequest(card_number=number)
    return _call(args, "GetCardStatus", api_grpc.CardsStub, request)


def _scan(args: argparse.Namespace) -> int:
    scanned = sys.stdin.read() if args.scanned == "-" else args.scanned
    request = api.VerifyScanRequest(
        scanned=scanned.strip(),
        facility_id=args.facility,
        kiosk_id=args.kiosk,
        staff_id=args.staff,
        check_registered_facility=args.check_facility,
    )
    return _check_in(args, "VerifyScan", request)


def _issue_token(args: argparse.Namespace) -> int:
    number = args.number.strip()
    if len(number) == 12 and number.isdigit():
        request = api.IssueCardTokenRequest(personal_id=number, with_qr_png=bool(args.png))
    else:
        request = api.IssueCardTokenRequest(card_number=number, with_qr_png=bool(args.png))
    answer = _ask(args, "IssueCardToken", api_grpc.CardsStub, request)
    assert isinstance(answer, api.CardToken)
    if args.png:
        args.png.write_bytes(answer.qr_png)
        print(f"QR code written to {args.png}", file=sys.stderr)
        answer.ClearField("qr_png")
    _print(answer)
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    return _call(args, "ListSigningKeys", api_grpc.TokenKeysStub, api.ListSigningKeysRequest())


def _keys_trust(args: argparse.Namespace) -> int:
    request = api.TrustSigningKeyRequest(certificate=args.certificate.read_bytes(), reason=args.reason)
    return _call(args, "TrustSigningKey", api_grpc.TokenKeysStub, request)


def _keys_revoke(args: argparse.Namespace) -> int:
    request = api.RevokeSigningKeyRequest(kid=args.kid, reason=args.reason)
    return _call(args, "RevokeSigningKey", api_grpc.TokenKeysStub, request)


def _keys_reload(args: argparse.Namespace) -> int:
    return _call(args, "ReloadSigningKeys", api_grpc.TokenKeysStub, api.ReloadSigningKeysRequest())
