"""`python -m verifier chip verify`: offline passive (and active) authentication for operators.

Reads raw EF files as dumped from a chip, builds a trust store from the given CSCA certificates,
master lists and CRLs, and prints the report. Exit codes: 0 everything verified, 1 verification
failed (the report is still printed), 2 unusable input (missing file, bad option), with
`error: ...` on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from verifier.chip.checks import Check
from verifier.chip.codes import chip_reason_text
from verifier.chip.document import CCCD_REQUIRED_DATA_GROUPS, ActiveAuthInput, ChipReport, verify_chip
from verifier.chip.tlv import ef_contents
from verifier.chip.trust import TrustAnchors, build_trust_anchors


class UsageError(Exception):
    """Input the command cannot work with (exit 2)."""


def add_chip_parser(sub: argparse._SubParsersAction) -> None:
    """Add `chip verify` to the top-level CLI's subcommands."""
    chip = sub.add_parser("chip", help="chip citizen ID (CCCD) tools, offline")
    chip_sub = chip.add_subparsers(required=True, metavar="ACTION")
    verify = chip_sub.add_parser(
        "verify",
        help="passive authentication of EF.SOD and data groups against CSCAs",
        description="Verify a chip read offline (ICAO 9303-11 §5.1 passive authentication, optionally "
        "§6.1 active authentication) and print each named check. Files are raw EF contents.",
    )
    verify.add_argument("--sod", required=True, type=Path, help="EF.SOD file")
    verify.add_argument(
        "--dg", action="append", default=[], metavar="N=FILE", help="data group N (1-16) file; repeatable"
    )
    verify.add_argument(
        "--csca", action="append", default=[], type=Path, help="CSCA certificate(s), PEM or DER"
    )
    verify.add_argument(
        "--master-list", action="append", default=[], type=Path, help="ICAO/BSI CSCA master list"
    )
    verify.add_argument("--crl", action="append", default=[], type=Path, help="CSCA CRL, DER or PEM")
    verify.add_argument("--at", help="verification time, ISO 8601 (default: now; no offset means UTC)")
    verify.add_argument(
        "--require-dg",
        default="none",
        metavar="N[,N...]|none",
        help="data groups that must be read and in EF.SOD (default: none, check what is given; "
        f"the kiosk service requires {','.join(map(str, CCCD_REQUIRED_DATA_GROUPS))})",
    )
    verify.add_argument("--require-crl", action="store_true", help="fail when no current CRL covers the DS")
    verify.add_argument("--aa-challenge", help="active authentication: the 8-byte challenge, hex")
    verify.add_argument("--aa-signature", type=Path, help="active authentication: the chip's signature file")
    verify.add_argument("--json", action="store_true", help="print the report as one JSON object")
    verify.set_defaults(run=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    try:
        report, anchors = _verify(args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # the core reports instead of raising; this is a bug, but no traceback
        print(f"error: internal error while verifying: {e!r}", file=sys.stderr)
        return 2
    if args.json:
        out = report.to_dict()
        out["trust_problems"] = [p.to_dict() for p in anchors.problems]
        out["error_texts"] = {code: chip_reason_text(code) for code in report.errors}
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        _print_text(report, anchors)
    return 0 if report.valid else 1


def _verify(args: argparse.Namespace) -> tuple[ChipReport, TrustAnchors]:
    at = _parse_at(args.at)
    sod = ef_contents(_read(args.sod, "--sod"))
    groups: dict[int, bytes] = {}
    for spec in args.dg:
        number, path = _dg_spec(spec)
        if number in groups:
            raise UsageError(f"--dg {number} given twice")
        groups[number] = ef_contents(_read(path, f"--dg {number}"))
    active = None
    if (args.aa_challenge is None) != (args.aa_signature is None):
        raise UsageError("--aa-challenge and --aa-signature go together")
    if args.aa_challenge is not None:
        try:
            challenge = bytes.fromhex(args.aa_challenge)
        except ValueError as e:
            raise UsageError("--aa-challenge must be hex") from e
        if len(challenge) != 8:
            raise UsageError("--aa-challenge must be 8 bytes (16 hex digits)")
        active = ActiveAuthInput(challenge, _read(args.aa_signature, "--aa-signature"))
    anchors = build_trust_anchors(
        certificates=[(str(p), _read(p, "--csca")) for p in args.csca],
        master_lists=[(str(p), _read(p, "--master-list")) for p in args.master_list],
        crls=[(str(p), _read(p, "--crl")) for p in args.crl],
    )
    malformed = [p for p in anchors.problems if p.code == "C19"]
    if malformed:
        raise UsageError("; ".join(f"{p.source}: {p.detail}" for p in malformed))
    required = _required_groups(args.require_dg)
    report = verify_chip(
        sod,
        groups,
        anchors,
        at,
        required_data_groups=required,
        require_crl=args.require_crl,
        active_auth=active,
    )
    return report, anchors


def _parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)  # the edge may read the clock; the core is given `at`
    try:
        at = datetime.fromisoformat(text)
    except ValueError as e:
        raise UsageError(f"--at: not an ISO 8601 time: {text!r}") from e
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _required_groups(text: str) -> tuple[int, ...]:
    if text.strip().lower() == "none":
        return ()
    try:
        numbers = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as e:
        raise UsageError(f"--require-dg expects numbers like 1,13 or 'none', got {text!r}") from e
    if not all(1 <= n <= 16 for n in numbers):
        raise UsageError("--require-dg: data groups are numbered 1 to 16")
    return numbers


def _dg_spec(spec: str) -> tuple[int, Path]:
    number_text, sep, path = spec.partition("=")
    if not sep or not path or not number_text.strip().isdigit():
        raise UsageError(f"--dg expects N=FILE, got {spec!r}")
    number = int(number_text)
    if not 1 <= number <= 16:
        raise UsageError(f"--dg {number}: data groups are numbered 1 to 16")
    return number, Path(path)


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise UsageError(f"{option} {path}: {e.strerror or e}") from e


def _print_text(report: ChipReport, anchors: TrustAnchors) -> None:
    lines = [f"{'VALID' if report.valid else 'NOT VALID'} at {report.verified_at}"]
    if report.passive.ds_certificate:
        ds = report.passive.ds_certificate
        lines.append(f"DS: {ds.subject} (valid {ds.not_before.date()} .. {ds.not_after.date()})")
    lines += [_check_line(c) for c in report.checks]
    lines += [f"trust source {p.source}: {p.code} {p.detail}" for p in anchors.problems]
    identity: dict[str, Any] = report.to_dict()["identity"]
    person = identity.get("personal_data") or {}
    if person.get("full_name") or identity.get("cccd_number"):
        lines.append(f"holder: {person.get('full_name') or '?'}, CCCD {identity.get('cccd_number') or '?'}")
    print("\n".join(lines))


def _check_line(check: Check) -> str:
    code = f" {check.code}" if check.code else ""
    return f"{check.status.upper():4} {check.name}{code}: {check.detail}  [{check.clause}]"
