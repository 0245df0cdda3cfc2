"""`python -m verifier token verify`: check a card token offline, as an operator would.

No server, no broker: the trust comes from certificate files given on the command line, so an
operator can check a token on a laptop, and EU DCC tokens (`HC1:`) check the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from verifier.tokens.card_token import DEFAULT_PREFIX, verify_token
from verifier.tokens.keys import KeyFileError, TrustStore, read_trusted_key_file

EU_DCC_PREFIX = "HC1:"
CLI_PREFIXES = (DEFAULT_PREFIX, EU_DCC_PREFIX)


def add_token_parser(sub: Any) -> Any:
    """Add `token verify`; returns the `token` actions so that client commands can join them."""
    token = sub.add_parser("token", help="digital card tokens: verify one offline, or have one issued")
    actions = token.add_subparsers(required=True, metavar="ACTION")
    verify = actions.add_parser(
        "verify",
        help="verify a token's signature, key and validity against certificate files",
        description="Verify a card token offline (no server needed). Prints every check; exit code 0 "
        "when the token is valid, 1 when it is not, 2 when the input cannot be used.",
    )
    verify.add_argument("token", help="the token text as scanned (BHYT1:… or HC1:…), or - for stdin")
    verify.add_argument(
        "--trust-cert",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="signer certificate or public key (PEM, DER or base64 DER); repeat for several",
    )
    verify.add_argument("--at", help="judge validity at this ISO 8601 time (default now; no offset = UTC)")
    verify.add_argument(
        "--prefix",
        action="append",
        default=[],
        metavar="P",
        help=f"also accept this prefix (always accepted: {', '.join(CLI_PREFIXES)})",
    )
    verify.add_argument("--clock-skew", type=float, default=30.0, help="seconds of tolerance (default 30)")
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(run=run_verify)
    return actions


def run_verify(args: argparse.Namespace) -> int:
    try:
        at = _instant(args.at) if args.at else datetime.now(UTC)
        trust = TrustStore(key for path in args.trust_cert for key in read_trusted_key_file(path))
    except (KeyFileError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    text = sys.stdin.read() if args.token == "-" else args.token
    report = verify_token(
        text,
        trust,
        at,
        prefixes=(*CLI_PREFIXES, *args.prefix),
        clock_skew=timedelta(seconds=args.clock_skew),
    )
    result = report.to_json_dict()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        shown = ("valid", "signature_valid", "kid", "alg", "expired", "issued_at", "expires_at", "errors")
        for name in shown:
            print(f"{name:>16}: {result[name]}")
        if report.detail:
            print(f"{'detail':>16}: {report.detail}")
        print(f"{'claims':>16}: {json.dumps(result['claims'], ensure_ascii=False)}")
    return 0 if report.valid else 1


def _instant(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--at: {text!r} is not an ISO 8601 time, e.g. 2026-11-23T08:00:00+07:00") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
