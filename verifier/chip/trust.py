"""Trust anchors for passive authentication (ICAO 9303-12 §4, §8; 9303-11 §5.1), built purely.

`build_trust_anchors` takes bytes (certificate files, master lists, CRLs) and returns an immutable
`TrustAnchors` snapshot, with every source that could not be used listed in `problems` (code C19
malformed, C20 not verified) rather than raised, so one bad file never empties the store.
Reading files and swapping snapshots live in `trust_store.py`.

Each snapshot owns a `memo` for results that depend on it (which CSCA signed a given DS, which CRLs
cover a CSCA). A reload builds a new snapshot with an empty memo, so nothing learnt from an old
CSCA set or CRL set can outlive it; results that depend on the verification time are never stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from asn1crypto import x509

from verifier.chip.certs import CertificateSummary, issuer_key, load_certificates, name_key, subject_key
from verifier.chip.codes import TRUST_SOURCE_MALFORMED, TRUST_SOURCE_UNVERIFIED
from verifier.chip.crl import RevocationList, crl_signer, parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.masterlist import read_master_list
from verifier.chip.memo import SnapshotMemo

SNAPSHOT_MEMO_SIZE = 2048  # per snapshot: one entry per DS seen plus one per CSCA with CRLs

Source = tuple[str, bytes]  # (label for reports, file contents)


@dataclass(frozen=True)
class TrustProblem:
    source: str
    code: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"source": self.source, "code": self.code, "detail": self.detail}


@dataclass(frozen=True)
class TrustAnchors:
    """An immutable set of CSCA certificates and the verified CRLs their issuers published."""

    cscas: tuple[x509.Certificate, ...] = ()
    crls: tuple[RevocationList, ...] = ()
    problems: tuple[TrustProblem, ...] = ()
    _by_subject: dict[str, list[x509.Certificate]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    memo: SnapshotMemo = field(
        default_factory=lambda: SnapshotMemo(SNAPSHOT_MEMO_SIZE), init=False, repr=False, compare=False
    )
    """Results that depend on this snapshot and on immutable bytes only (see the module docstring)."""

    def __post_init__(self) -> None:
        for cert in self.cscas:
            self._by_subject.setdefault(subject_key(cert), []).append(cert)

    def issuers_of(self, cert: x509.Certificate) -> list[x509.Certificate]:
        """CSCAs whose subject is `cert`'s issuer; those whose key id matches the AKI come first."""
        candidates = self._by_subject.get(issuer_key(cert), [])
        aki = cert.authority_key_identifier
        return sorted(candidates, key=lambda c: not (aki is not None and c.key_identifier == aki))

    def crls_for(self, issuer: x509.Certificate) -> list[RevocationList]:
        """CRLs published under the issuer's name (RFC 5280 CRL scope is the issuer name).

        Which CRLs are in scope depends only on this snapshot and the issuer's bytes, so it is
        memoised here; whether the DS is on one, and whether it is current, is judged per call.
        """
        scope = self.memo.get_or_compute(("crls_for", issuer.sha256), lambda: self._crls_for(issuer))
        return list(scope)

    def _crls_for(self, issuer: x509.Certificate) -> tuple[RevocationList, ...]:
        wanted = subject_key(issuer)
        return tuple(c for c in self.crls if name_key(c.issuer) == wanted)

    def summaries(self) -> list[CertificateSummary]:
        return [CertificateSummary.of(c) for c in self.cscas]


def build_trust_anchors(
    *, certificates: Iterable[Source] = (), master_lists: Iterable[Source] = (), crls: Iterable[Source] = ()
) -> TrustAnchors:
    """Trust anchors from raw sources, in dependency order: certificates, master lists, CRLs.

    A master list whose signer chains only through another list is retried until nothing changes,
    so the order lists are given in does not matter.
    """
    problems: list[TrustProblem] = []
    cscas: dict[bytes, x509.Certificate] = {}

    def add(certs: Iterable[x509.Certificate]) -> None:
        for cert in certs:
            cscas.setdefault(cert.sha256, cert)

    for label, data in certificates:
        try:
            add(load_certificates(data, code=TRUST_SOURCE_MALFORMED, what=label))
        except ChipError as e:
            problems.append(TrustProblem(label, e.code, e.detail))

    pending = list(master_lists)
    while pending:
        still: list[Source] = []
        unverified: dict[str, TrustProblem] = {}
        for label, data in pending:
            try:
                report = read_master_list(data, list(cscas.values()), source=label)
            except ChipError as e:
                problems.append(TrustProblem(label, e.code, e.detail))
                continue
            if report.accepted:
                add(report.certificates)
            elif report.signature_valid:  # maybe its signer's CSCA comes with a later list
                still.append((label, data))
                unverified[label] = TrustProblem(label, TRUST_SOURCE_UNVERIFIED, report.problem or "")
            else:
                problems.append(TrustProblem(label, TRUST_SOURCE_UNVERIFIED, report.problem or ""))
        if len(still) == len(pending):
            problems.extend(unverified.values())
            break
        pending = still

    anchors = list(cscas.values())
    revocations: list[RevocationList] = []
    for label, data in crls:
        try:
            parsed = parse_crl(data, source=label)
        except ChipError as e:
            problems.append(TrustProblem(label, e.code, e.detail))
            continue
        if crl_signer(parsed, anchors) is None:
            problems.append(
                TrustProblem(
                    label, TRUST_SOURCE_UNVERIFIED, "CRL not signed by a trusted CSCA of its issuer name"
                )
            )
            continue
        revocations.append(parsed)
    return TrustAnchors(tuple(anchors), tuple(revocations), tuple(problems))
