"""Chip citizen ID (CCCD gắn chip) verification: the pure core of ICAO 9303 eMRTD checks.

Passive authentication (EF.SOD, Document Signer, CSCA trust store, data-group hashes), active
authentication, and the Vietnamese data groups (DG1 TD1 MRZ, DG13 personal data, DG2 face image).
Nothing here opens a socket, reads a clock or logs personal data: time, trust anchors and bytes are
arguments, and every failure is a named check with a `C..` reason code (see `codes.py`).

Entry points (re-exported here so adapters need one import):

- `verify_chip` — everything the kiosk needs from one read: passive + identity (+ active) checks.
- `verify_passive` — ICAO 9303-11 §5.1 passive authentication only.
- `verify_active_authentication` — ICAO 9303-11 §6.1 on a DG15 key, challenge and chip signature.
- `parse_dg1`, `parse_dg13`, `parse_dg2` — the data groups; `check_cccd_number` for the number.
- `CscaTrustStore`, `TrustSources`, `build_trust_anchors` — CSCA certificates, master lists, CRLs.
"""

from verifier.chip.active import verify_active_authentication
from verifier.chip.cccd import CccdNumber, cccd_inconsistencies, parse_cccd_number
from verifier.chip.checks import Check
from verifier.chip.codes import CHIP_REASONS
from verifier.chip.dg2 import FaceImage, parse_dg2
from verifier.chip.dg13 import PersonalData, parse_dg13
from verifier.chip.document import ActiveAuthInput, ChipReport, verify_chip
from verifier.chip.errors import ChipError
from verifier.chip.mrz import Td1Mrz, parse_dg1
from verifier.chip.passive import PassiveReport, verify_passive
from verifier.chip.trust import TrustAnchors, build_trust_anchors
from verifier.chip.trust_store import CscaTrustStore, TrustSources

__all__ = [
    "CHIP_REASONS",
    "ActiveAuthInput",
    "CccdNumber",
    "Check",
    "ChipError",
    "ChipReport",
    "CscaTrustStore",
    "FaceImage",
    "PassiveReport",
    "PersonalData",
    "Td1Mrz",
    "TrustAnchors",
    "TrustSources",
    "build_trust_anchors",
    "cccd_inconsistencies",
    "parse_cccd_number",
    "parse_dg1",
    "parse_dg2",
    "parse_dg13",
    "verify_active_authentication",
    "verify_chip",
    "verify_passive",
]
