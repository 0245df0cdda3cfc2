"""Passive authentication (ICAO 9303-11 §5.1): is the chip's data what the issuing state signed?

Steps, each a named `Check` with its clause and reason code:
  sod_structure        9303-10 §4.6.2 EF.SOD / RFC 5652 §5            C01
  ds_certificate       9303-10 §4.6.2.1 Table 37 (DS cert in SOD)      C03
  signed_attributes    RFC 5652 §5.3, §11.1-11.2                       C16
  sod_signature        9303-11 §5.1 step 3 / RFC 5652 §5.6             C02 (C14)
  ds_validity, ds_key_usage, ds_chain, ds_revocation (see chain.py)    C05 C15 C04 C06/C17
  dg{n}_hash           9303-11 §5.1 step 4 / 9303-10 §4.6.2.2          C07 C08 (C14)
  required_data_groups 9303-10 §4.6.2.2 (the DGs policy needs were read) C08
It proves the data is genuine, not that the chip is not a clone (that is active authentication).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asn1crypto import x509

from verifier.chip.algorithms import hash_by_oid
from verifier.chip.certs import CertificateSummary
from verifier.chip.chain import (
    CLAUSE_CHAIN,
    CLAUSE_KEY_USAGE,
    CLAUSE_REVOCATION,
    CLAUSE_VALIDITY,
    validate_document_signer,
)
from verifier.chip.checks import Check, error_codes, fail, ok, skip
from verifier.chip.cms import signature_scheme_name, signed_attributes_problem, verify_signer
from verifier.chip.codes import (
    DG_HASH_MISMATCH,
    DG_NOT_COVERED,
    DS_CERTIFICATE_MISSING,
    SIGNED_ATTRIBUTES,
    SOD_MALFORMED,
    SOD_SIGNATURE_INVALID,
    UNSUPPORTED_ALGORITHM,
)
from verifier.chip.errors import ASN1_ERRORS, ChipError
from verifier.chip.sod import SecurityObject, parse_sod
from verifier.chip.trust import TrustAnchors

CLAUSE_SOD = "ICAO 9303-10 §4.6.2 EF.SOD / RFC 5652 §5"
CLAUSE_DS_PRESENT = "ICAO 9303-10 §4.6.2.1 Table 37 (DS certificate REQUIRED in SignedData.certificates)"
CLAUSE_SIGNED_ATTRS = "ICAO 9303-10 §4.6.2.1 / RFC 5652 §5.3, §11.1-11.2"
CLAUSE_SIGNATURE = "ICAO 9303-11 §5.1 step 3 / RFC 5652 §5.6"
CLAUSE_DG_HASH = "ICAO 9303-11 §5.1 step 4 / 9303-10 §4.6.2.2 dataGroupHashValues"
CLAUSE_REQUIRED = "ICAO 9303-10 §4.6.2.2 (data groups required by policy)"
CHAIN_CHECKS = ("ds_validity", "ds_key_usage", "ds_chain", "ds_revocation")
STEP_CLAUSES = {
    "sod_structure": CLAUSE_SOD,
    "ds_certificate": CLAUSE_DS_PRESENT,
    "signed_attributes": CLAUSE_SIGNED_ATTRS,
    "sod_signature": CLAUSE_SIGNATURE,
    "ds_validity": CLAUSE_VALIDITY,
    "ds_key_usage": CLAUSE_KEY_USAGE,
    "ds_chain": CLAUSE_CHAIN,
    "ds_revocation": CLAUSE_REVOCATION,
}


@dataclass(frozen=True)
class PassiveReport:
    checks: tuple[Check, ...]
    ds_certificate: CertificateSummary | None = None
    csca_certificate: CertificateSummary | None = None
    hash_algorithm: str | None = None
    signature_algorithm: str | None = None
    dg_hashes: Mapping[int, bool] = field(default_factory=dict)
    lds_version: str | None = None

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def _passed(self, *names: str) -> bool:
        return all((c := self.check(n)) is not None and c.passed for n in names)

    @property
    def sod_signature_valid(self) -> bool:
        """The SOD is signed by the DS certificate it carries (signature and signed attributes)."""
        return self._passed("signed_attributes", "sod_signature")

    @property
    def chain_trusted(self) -> bool:
        """The DS chains to a trusted CSCA and is valid, well-formed and not revoked at `at`."""
        return self._passed(*CHAIN_CHECKS)

    @property
    def errors(self) -> list[str]:
        return error_codes(self.checks)

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "sod_signature_valid": self.sod_signature_valid,
            "chain_trusted": self.chain_trusted,
            "ds_certificate": self.ds_certificate.to_dict() if self.ds_certificate else None,
            "csca_certificate": self.csca_certificate.to_dict() if self.csca_certificate else None,
            "hash_algorithm": self.hash_algorithm,
            "signature_algorithm": self.signature_algorithm,
            "lds_version": self.lds_version,
            "dg_hashes": {str(n): v for n, v in sorted(self.dg_hashes.items())},
            "errors": self.errors,
            "checks": [c.to_dict() for c in self.checks],
        }


def verify_passive(
    sod: bytes,
    data_groups: Mapping[int, bytes],
    trust: TrustAnchors,
    at: datetime,
    *,
    required_data_groups: Iterable[int] = (),
    require_crl: bool = False,
) -> PassiveReport:
    """Run every passive-authentication step; never raises for bad chip data (it becomes a check).

    `data_groups` are the EF contents as read (tag included), keyed by DG number. `at` is the
    verification time (aware); DS/CSCA validity and CRL currency are judged at it.
    `required_data_groups` are DGs policy needs (e.g. (1, 13)); `require_crl` turns an unknown
    revocation status into a failure (C17) instead of a pass with a note.
    """
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("verify_passive needs an aware datetime (no naive clocks in the core)")
    required = tuple(required_data_groups)
    try:
        security = parse_sod(sod)
        return _verify(security, data_groups, trust, at, required, require_crl)
    except ChipError as e:
        return _unreadable(e.code, e.detail, data_groups, required)
    except ASN1_ERRORS as e:  # a part asn1crypto decoded late; failing closed is always safe
        return _unreadable(SOD_MALFORMED, f"EF.SOD content unreadable: {e}", data_groups, required)


def _unreadable(
    code: str, detail: str, data_groups: Mapping[int, bytes], required: Iterable[int]
) -> PassiveReport:
    checks = [fail("sod_structure", CLAUSE_SOD, code, detail)]
    checks += [_not_run(name, "EF.SOD unreadable") for name in list(STEP_CLAUSES)[1:]]
    dg_checks, dg_results = _dg_checks(None, data_groups, required)
    return PassiveReport(tuple(checks + dg_checks), dg_hashes=dg_results)


def _not_run(name: str, why: str) -> Check:
    return skip(name, STEP_CLAUSES[name], f"not run: {why}")


def _verify(
    security: SecurityObject,
    data_groups: Mapping[int, bytes],
    trust: TrustAnchors,
    at: datetime,
    required: Iterable[int],
    require_crl: bool,
) -> PassiveReport:
    signed = security.signed
    detail = f"LDSSecurityObject v{security.version}, {len(security.dg_hashes)} data group hashes"
    if signed.signer_count > 1:
        detail += f"; {signed.signer_count} SignerInfos, the first is verified"
    checks: list[Check] = [ok("sod_structure", CLAUSE_SOD, detail)]
    ds = signed.signer_certificate()
    ds_summary = csca_summary = None
    if ds is None:
        why = (
            "SignedData has no certificates"
            if not signed.certificates
            else "no certificate matches the SignerInfo sid"
        )
        checks.append(fail("ds_certificate", CLAUSE_DS_PRESENT, DS_CERTIFICATE_MISSING, why))
        checks.append(_attributes_check(security))
        checks += [
            _not_run(name, "no Document Signer certificate") for name in ("sod_signature", *CHAIN_CHECKS)
        ]
    else:
        ds_summary = CertificateSummary.of(ds)
        checks.append(ok("ds_certificate", CLAUSE_DS_PRESENT, ds_summary.subject))
        checks.append(_attributes_check(security))
        checks.append(_signature_check(security, ds))
        chain = validate_document_signer(ds, trust, at, require_crl=require_crl)
        checks += chain.checks
        csca_summary = CertificateSummary.of(chain.csca) if chain.csca is not None else None
    dg_checks, dg_results = _dg_checks(security, data_groups, required)
    try:
        hash_name: str | None = hash_by_oid(security.hash_oid).name
    except ChipError:
        hash_name = security.hash_oid
    return PassiveReport(
        tuple(checks + dg_checks),
        ds_certificate=ds_summary,
        csca_certificate=csca_summary,
        hash_algorithm=hash_name,
        signature_algorithm=signature_scheme_name(signed),
        dg_hashes=dg_results,
        lds_version=security.lds_version,
    )


def _attributes_check(security: SecurityObject) -> Check:
    try:
        problem = signed_attributes_problem(security.signed)
    except ChipError as e:
        return fail("signed_attributes", CLAUSE_SIGNED_ATTRS, e.code, e.detail)
    if problem:
        return fail("signed_attributes", CLAUSE_SIGNED_ATTRS, SIGNED_ATTRIBUTES, problem)
    return ok("signed_attributes", CLAUSE_SIGNED_ATTRS, "content-type and message-digest match")


def _signature_check(security: SecurityObject, ds: x509.Certificate) -> Check:
    scheme = signature_scheme_name(security.signed)
    try:
        valid = verify_signer(security.signed, ds)
    except ChipError as e:
        return fail("sod_signature", CLAUSE_SIGNATURE, e.code, e.detail)
    if not valid:
        return fail(
            "sod_signature", CLAUSE_SIGNATURE, SOD_SIGNATURE_INVALID, f"{scheme} signature does not verify"
        )
    return ok("sod_signature", CLAUSE_SIGNATURE, scheme)


def _dg_checks(
    security: SecurityObject | None, data_groups: Mapping[int, bytes], required: Iterable[int]
) -> tuple[list[Check], dict[int, bool]]:
    checks: list[Check] = []
    results: dict[int, bool] = {}
    spec = None
    spec_error: ChipError | None = None
    if security is not None:
        try:
            spec = hash_by_oid(security.hash_oid)
        except ChipError as e:
            spec_error = e
    for number in sorted(data_groups):
        name = f"dg{number}_hash"
        if security is None:
            checks.append(skip(name, CLAUSE_DG_HASH, "not run: EF.SOD unreadable"))
            results[number] = False
        elif number not in security.dg_hashes:
            checks.append(
                fail(
                    name, CLAUSE_DG_HASH, DG_NOT_COVERED, f"DG{number} was read but EF.SOD has no hash for it"
                )
            )
            results[number] = False
        elif spec_error is not None or spec is None:
            error = spec_error or ChipError(UNSUPPORTED_ALGORITHM, "no hash algorithm")
            checks.append(fail(name, CLAUSE_DG_HASH, error.code, error.detail))
            results[number] = False
        else:
            matches = spec.digest(data_groups[number]) == security.dg_hashes[number]
            results[number] = matches
            if matches:
                checks.append(ok(name, CLAUSE_DG_HASH, f"{spec.name} matches"))
            else:
                checks.append(
                    fail(
                        name, CLAUSE_DG_HASH, DG_HASH_MISMATCH, f"DG{number} {spec.name} differs from EF.SOD"
                    )
                )
    wanted = sorted(set(required))
    if wanted:
        missing = [n for n in wanted if n not in data_groups]
        not_listed = [n for n in wanted if security is not None and n not in security.dg_hashes]
        problems = [f"DG{n} not read" for n in missing] + [
            f"DG{n} not in EF.SOD" for n in not_listed if n not in missing
        ]
        if problems:
            checks.append(fail("required_data_groups", CLAUSE_REQUIRED, DG_NOT_COVERED, "; ".join(problems)))
        else:
            checks.append(ok("required_data_groups", CLAUSE_REQUIRED, ", ".join(f"DG{n}" for n in wanted)))
    return checks, results
