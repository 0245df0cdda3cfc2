"""`python -m verifier qr parse QR [--json]`: decode a scanned legacy BHYT QR without a server.

Why a command: support staff paste what a kiosk's scanner produced to see what the card claims
and why a scan is refused. Offline and side-effect free: nothing is judged or recorded. A bad QR
is one `error: Q01 …` line on stderr (plus a JSON error object with --json) and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from verifier.domain.legacy_qr import MAX_QR_LENGTH, LegacyQr, LegacyQrProblem, parse_legacy_qr

EXIT_OK = 0
EXIT_MALFORMED = 2
# UTF-8 needs at most 4 bytes a character: more than this on stdin cannot be a QR.
_STDIN_LIMIT = 4 * MAX_QR_LENGTH + 64


def add_qr_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `qr parse` to the verifier's command line (wired in by `verifier.cli`)."""
    qr = sub.add_parser("qr", help="work with the legacy (unsigned) BHYT QR code")
    actions = qr.add_subparsers(required=True, metavar="ACTION")
    parse = actions.add_parser(
        "parse",
        help="decode a scanned BHYT QR and print what it claims",
        description="Decode the text of a legacy BHYT QR (card-number or social-insurance-number "
        "layout). Exit 0 when well-formed, 2 (error Q01) when not.",
    )
    parse.add_argument("qr", metavar="QR", help="the scanned text, or - to read it from stdin")
    parse.add_argument("--json", action="store_true", help="print one JSON object")
    parse.set_defaults(run=run_qr_parse)


def run_qr_parse(args: argparse.Namespace) -> int:
    """Print the decoded QR (or the reason it is malformed) and return the exit code."""
    try:
        text = _read_stdin() if args.qr == "-" else args.qr
        qr = parse_legacy_qr(text)
    except LegacyQrProblem as e:
        print(f"error: {e.code} {e.message}", file=sys.stderr)
        if args.json:
            print(json.dumps({"error": {"code": e.code, "message": e.message}}, ensure_ascii=False))
        return EXIT_MALFORMED
    if args.json:
        print(json.dumps(qr.to_json_dict(), ensure_ascii=False))
    else:
        print(_listing(qr))
    return EXIT_OK


def _read_stdin() -> str:
    """The QR text piped in; bounded, and strictly UTF-8 so a wrong encoding is named, not guessed."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text-only stdin (e.g. replaced in tests)
        raw_text: str = sys.stdin.read(MAX_QR_LENGTH + 1)
        return raw_text
    raw: bytes = stream.read(_STDIN_LIMIT + 1)
    if len(raw) > _STDIN_LIMIT:
        raise LegacyQrProblem(
            f"stdin holds more than {_STDIN_LIMIT} bytes; a BHYT QR is at most {MAX_QR_LENGTH} characters"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LegacyQrProblem(f"stdin is not UTF-8 text (byte {e.start + 1} is wrong)") from e


def _listing(qr: LegacyQr) -> str:
    """`field: value` lines with the values aligned, in the card's order, absent fields left out."""
    rows = [("layout", qr.layout.value), *qr.to_json_dict().items()]
    rows.insert(2, ("social_insurance_number", qr.social_insurance_number))
    width = max(len(key) for key, _ in rows) + 1
    return "\n".join(f"{key + ':':<{width}} {value}" for key, value in rows)
