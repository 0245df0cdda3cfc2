"""Chip ID verifications per second: the full check a kiosk's chip read gets, in the core.

    python -m bench.chip [--seconds 5]

One process on one core runs `verify_chip` (EF.SOD parse, CMS signature, messageDigest, DS ->
CSCA chain with validity and key usage, revocation, DG1/DG2/DG13/DG14/DG15 hashes, MRZ and DG13
parsing, CCCD consistency, and active authentication of the chip's answer) for each signature
family a Document Signer may use. Chip reads are built by the test fixtures with real keys.
Prints the figures and writes them to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from bench.report import write_section
from tests.support.chip_fixtures import SignOptions, aa_sign_ec, ec_key, make_chip, make_csca, make_ds
from verifier.chip import ActiveAuthInput, build_trust_anchors, verify_chip

NOTES = """
Each figure is one full verification as `CheckIn.VerifyChip` runs it (in a thread, off the event
loop): passive authentication with every check, active authentication (ECDSA), identity parsing
and the CCCD checks. Millions of chips are signed by a few hundred Document Signers, so what
depends only on a DS certificate's bytes is remembered (`verifier/chip/memo.py`: the parsed
certificate, its normalised names, its key, and per trust snapshot which CSCA signed it); validity,
revocation and CRL currency are still judged on every call, and a trust reload starts afresh.
That halved the cost (about 3.2 ms before, 1.3-1.6 ms after, measured alternately on this
machine). What remains is per read and cannot be cached: parsing EF.SOD's CMS and signed
attributes (~40%), DG1/DG13/MRZ and DG2 (~30%), active authentication (~20%).
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per signature family (default 5)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    csca = make_csca()
    families = {
        "RSA-2048 PKCS#1 v1.5, SHA-256": (make_ds(csca), SignOptions()),
        "RSA-2048 PSS, SHA-256": (make_ds(csca, "ds-pss"), SignOptions(scheme="pss")),
        "ECDSA P-256, SHA-256": (make_ds(csca, "ds-ec", key=ec_key("ds-ec")), SignOptions(scheme="ecdsa")),
    }
    anchors = build_trust_anchors(certificates=[("csca", csca.der)])
    at = datetime.now(UTC)
    rows = ["| Document Signer signature | verifications/s | ms each |", "|---|---|---|"]
    for label, (ds, options) in families.items():
        chip = make_chip(csca=csca, ds=ds, options=options, aa="ec")
        challenge = os.urandom(8)
        assert chip.aa_key is not None
        answer = ActiveAuthInput(challenge, aa_sign_ec(chip.aa_key, challenge))  # type: ignore[arg-type]
        report = verify_chip(chip.sod, chip.data_groups, anchors, at, active_auth=answer)
        if not report.valid:
            raise SystemExit(f"{label}: the fixture chip does not verify: {report.errors}")
        count, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < args.seconds:
            verify_chip(chip.sod, chip.data_groups, anchors, at, active_auth=answer)
            count += 1
        rows.append(f"| {label} | {count / elapsed:,.0f} | {1000 * elapsed / count:.2f} |")
        print(rows[-1], flush=True)
    table = "\n".join(rows)
    print(table)
    if not args.no_write:
        write_section(
            "Chip ID verification", f"python -m bench.chip --seconds {args.seconds:g}", table + "\n" + NOTES
        )


if __name__ == "__main__":
    main()
