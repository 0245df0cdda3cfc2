"""Document Signer → CSCA: the certificate checks of passive authentication.

ICAO 9303-11 §5.1 step 2 and 9303-12 (shell model, RFC 5280 §6.1 path validation with a path of
length one: the CSCA is the trust anchor, the DS the end entity). Each step is its own named check
so an operator sees whether the DS is expired, mis-issued, untrusted or revoked.

Which trusted CSCA's signature is on a DS certificate depends only on the DS bytes and the trust
snapshot, so it is memoised in the snapshot (`TrustAnchors.memo`, emptied by a reload). Everything
that depends on `at` is judged on every call: DS and CSCA validity, and the CRL lookup and its
currency. So is everything cheap enough not to matter (key usage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asn1crypto import x509

from verifier.chip.certs import CertificateSummary, key_usage, signed_by, valid_at
from verifier.chip.checks import Check, fail, ok, skip
from verifier.chip.codes import (
    DS_KEY_USAGE,
    DS_NOT_TRUSTED,
    DS_NOT_VALID_AT_TIME,
    DS_REVOKED,
    REVOCATION_UNKNOWN,
    UNSUPPORTED_ALGORITHM,
)
from verifier.chip.errors import ChipError
from verifier.chip.trust import TrustAnchors

CLAUSE_VALIDITY = "ICAO 9303-12 §7.1 (validity) / RFC 5280 §6.1.3 (a)(2)"
CLAUSE_KEY_USAGE = "ICAO 9303-12 §7.1.1 (DS keyUsage = digitalSignature)"
CLAUSE_CHAIN = "ICAO 9303-11 §5.1 step 2; 9303-12 §4 / RFC 5280 §6.1 path validation"
CLAUSE_REVOCATION = "ICAO 9303-12 §7 (CRL profile) / RFC 5280 §6.3"


@dataclass(frozen=True)
class ChainResult:
    checks: tuple[Check, ...]
    csca: x509.Certificate | None


def validate_document_signer(
    ds: x509.Certificate, anchors: TrustAnchors, at: datetime, *, require_crl: bool = False
) -> ChainResult:
    """The four DS checks: validity at `at`, key usage, chain to a CSCA, revocation."""
    csca, chain = _chain_check(ds, anchors, at)
    return ChainResult(
        (
            _validity_check(ds, at),
            _key_usage_check(ds),
            chain,
            _revocation_check(ds, csca, anchors, at, require_crl),
        ),
        csca,
    )


def _validity_check(ds: x509.Certificate, at: datetime) -> Check:
    window = f"{ds.not_valid_before.isoformat()} .. {ds.not_valid_after.isoformat()}"
    if valid_at(ds, at):
        return ok("ds_validity", CLAUSE_VALIDITY, f"valid {window}")
    state = "not yet valid" if at < ds.not_valid_before else "expired"
    return fail(
        "ds_validity",
        CLAUSE_VALIDITY,
        DS_NOT_VALID_AT_TIME,
        f"DS certificate {state} at {at.isoformat()} ({window})",
    )


def _key_usage_check(ds: x509.Certificate) -> Check:
    usage = key_usage(ds)
    if usage is None:
        return fail(
            "ds_key_usage", CLAUSE_KEY_USAGE, DS_KEY_USAGE, "DS certificate has no keyUsage extension"
        )
    if "digital_signature" not in usage:
        return fail(
            "ds_key_usage", CLAUSE_KEY_USAGE, DS_KEY_USAGE, f"keyUsage {sorted(usage)} lacks digitalSignature"
        )
    if ds.ca:
        return fail("ds_key_usage", CLAUSE_KEY_USAGE, DS_KEY_USAGE, "DS certificate is marked as a CA")
    return ok("ds_key_usage", CLAUSE_KEY_USAGE, "digitalSignature")


def _chain_check(
    ds: x509.Certificate, anchors: TrustAnchors, at: datetime
) -> tuple[x509.Certificate | None, Check]:
    # Keyed by the DS digest within this snapshot: same DS bytes + same CSCA set = same signer.
    issuer = anchors.memo.get_or_compute(("ds_issuer", ds.sha256), lambda: _find_issuer(ds, anchors))
    if isinstance(issuer, Check):
        return None, issuer
    csca = issuer
    subject = CertificateSummary.of(csca).subject
    problem = _csca_problem(csca, at)  # the CSCA's validity is judged at `at`, on every call
    if problem:
        return csca, fail("ds_chain", CLAUSE_CHAIN, DS_NOT_TRUSTED, f"{subject}: {problem}")
    return csca, ok("ds_chain", CLAUSE_CHAIN, f"issued by CSCA {subject}")


def _find_issuer(ds: x509.Certificate, anchors: TrustAnchors) -> x509.Certificate | Check:
    """The time-independent half of the chain check: the first candidate CSCA (AKI match first)
    whose key signed `ds`, or the failed `ds_chain` check saying why there is none."""
    candidates = anchors.issuers_of(ds)
    if not candidates:
        return fail(
            "ds_chain", CLAUSE_CHAIN, DS_NOT_TRUSTED, f"no CSCA named {_issuer(ds)} in the trust store"
        )
    reasons: list[str] = []
    for csca in candidates:
        subject = CertificateSummary.of(csca).subject
        try:
            if not signed_by(ds, csca):
                reasons.append(f"{subject}: signature on the DS certificate does not verify")
                continue
        except ChipError as e:
            code = UNSUPPORTED_ALGORITHM if e.code == UNSUPPORTED_ALGORITHM else DS_NOT_TRUSTED
            return fail("ds_chain", CLAUSE_CHAIN, code, f"{subject}: {e.detail}")
        return csca
    return fail("ds_chain", CLAUSE_CHAIN, DS_NOT_TRUSTED, "; ".join(reasons))


def _csca_problem(csca: x509.Certificate, at: datetime) -> str | None:
    """The trust anchor must be a CA allowed to sign certificates and valid at `at` (shell model)."""
    if not valid_at(csca, at):
        window = f"{csca.not_valid_before.date()} .. {csca.not_valid_after.date()}"
        return f"CSCA certificate not valid at {at.isoformat()} (valid {window})"
    usage = key_usage(csca)
    if usage is None or "key_cert_sign" not in usage:
        return "CSCA certificate keyUsage lacks keyCertSign"
    if csca.basic_constraints_value is not None and not csca.ca:
        return "CSCA certificate basicConstraints says it is not a CA"
    return None


def _revocation_check(
    ds: x509.Certificate,
    csca: x509.Certificate | None,
    anchors: TrustAnchors,
    at: datetime,
    require_crl: bool,
) -> Check:
    if csca is None:
        return skip("ds_revocation", CLAUSE_REVOCATION, "not run: the DS issuer is not trusted")
    lists = anchors.crls_for(csca)
    for revocations in lists:
        revoked_on = revocations.revocation_date(ds.serial_number)
        if revoked_on is not None and revoked_on <= at:
            return fail(
                "ds_revocation",
                CLAUSE_REVOCATION,
                DS_REVOKED,
                f"DS serial {ds.serial_number:x} revoked on {revoked_on.isoformat()} ({revocations.source})",
            )
    current = [r for r in lists if r.is_current(at)]
    if current:
        return ok("ds_revocation", CLAUSE_REVOCATION, f"not on the current CRL ({current[0].source})")
    why = "no CRL from this CSCA" if not lists else "the CSCA's CRL is past its nextUpdate"
    if require_crl:
        return fail(
            "ds_revocation", CLAUSE_REVOCATION, REVOCATION_UNKNOWN, f"revocation status unknown: {why}"
        )
    return ok(
        "ds_revocation", CLAUSE_REVOCATION, f"revocation status unknown ({why}); CRL not required by policy"
    )


def _issuer(ds: x509.Certificate) -> str:
    return CertificateSummary.of(ds).issuer
