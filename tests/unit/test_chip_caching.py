"""Memoised DS parsing and DS -> CSCA chaining (issue 6) never change a verdict.

What is memoised depends only on immutable bytes (the DS certificate, names, keys) or on one trust
snapshot (which CSCA signed a DS, which CRLs cover a CSCA). These tests pin that a warm memo gives
the very report a cold one does, and that what must stay live still is: a trust store reload, the
verification time (DS and CSCA validity, CRL revocation date and currency) and a newly added CRL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from tests.support.chip_fixtures import (
    NOW,
    Chip,
    Issuer,
    SignOptions,
    aa_sign_ec,
    ec_key,
    make_certificate,
    make_chip,
    make_crl,
    make_csca,
    make_ds,
    rsa_key,
)
from verifier.chip import (
    ActiveAuthInput,
    ChipReport,
    CscaTrustStore,
    TrustAnchors,
    TrustSources,
    build_trust_anchors,
    verify_chip,
)
from verifier.chip.certs import load_certificate
from verifier.chip.memo import BoundedMemo, clear_memos


@pytest.fixture(autouse=True)
def cold_memos() -> Iterator[None]:
    """Each test starts cold, so "the second verification" really is the first warm one."""
    clear_memos()
    yield
    clear_memos()


def anchors_for(*cscas: Issuer, crls: tuple[bytes, ...] = ()) -> TrustAnchors:
    anchors = build_trust_anchors(
        certificates=[(f"csca{i}", c.der) for i, c in enumerate(cscas)],
        crls=[(f"crl{i}", c) for i, c in enumerate(crls)],
    )
    assert anchors.problems == ()
    return anchors


def verify(chip: Chip, anchors: TrustAnchors, at: datetime = NOW, *, require_crl: bool = False) -> ChipReport:
    return verify_chip(chip.sod, chip.data_groups, anchors, at, require_crl=require_crl)


def ds_issuer_memoised(chip: Chip, anchors: TrustAnchors) -> bool:
    """Whether the snapshot holds the (time-independent) DS -> CSCA result for this chip's DS."""
    return ("ds_issuer", chip.ds.cert.fingerprint(hashes.SHA256())) in anchors.memo


def failed(report: ChipReport) -> dict[str, str | None]:
    return {c.name: c.code for c in report.checks if not c.passed}


# --- (a) the same read twice ------------------------------------------------------------------


def test_second_verification_gives_the_identical_report() -> None:
    chip = make_chip(aa="ec")
    assert chip.aa_key is not None
    challenge = os.urandom(8)
    answer = ActiveAuthInput(challenge, aa_sign_ec(chip.aa_key, challenge))  # type: ignore[arg-type]
    anchors = anchors_for(chip.csca)
    cold = verify_chip(chip.sod, chip.data_groups, anchors, NOW, active_auth=answer)
    assert cold.valid, cold.errors
    assert ds_issuer_memoised(chip, anchors)
    warm = verify_chip(chip.sod, chip.data_groups, anchors, NOW, active_auth=answer)
    assert warm == cold
    assert warm.to_dict() == cold.to_dict()
    clear_memos()  # and a fresh snapshot: nothing memoised at all
    again = verify_chip(chip.sod, chip.data_groups, anchors_for(chip.csca), NOW, active_auth=answer)
    assert again.to_dict() == cold.to_dict()


@pytest.mark.parametrize("family", ["pss", "ecdsa"])
def test_identical_reports_for_other_signature_families(family: str) -> None:
    csca = make_csca()
    if family == "pss":
        signer, options = make_ds(csca, "ds-pss", pss=True), SignOptions(scheme="pss")
    else:
        signer, options = make_ds(csca, "ds-ec", key=ec_key("ds-ec")), SignOptions(scheme="ecdsa")
    chip = make_chip(csca=csca, ds=signer, options=options)
    anchors = anchors_for(csca)
    first, second = verify(chip, anchors), verify(chip, anchors)
    assert first.valid, first.errors
    assert second.to_dict() == first.to_dict()


def test_a_failing_read_fails_the_same_way_when_warm() -> None:
    chip, stranger = make_chip(), make_csca("csca-other", common_name="CSCA Elsewhere")
    anchors = anchors_for(stranger)
    cold, warm = verify(chip, anchors), verify(chip, anchors)
    assert cold.errors == ["C04"] and warm.to_dict() == cold.to_dict()


def test_the_sod_certificate_is_parsed_once_per_distinct_der() -> None:
    chip = make_chip()
    verify(chip, anchors_for(chip.csca))
    first = load_certificate(chip.ds.der, code="C01", memoise=True)
    assert load_certificate(chip.ds.der, code="C01", memoise=True) is first
    assert load_certificate(chip.ds.der, code="C01") is not first  # trust sources never share


def test_names_differing_in_der_but_equal_normalised_still_chain() -> None:
    """RFC 5280 §7.1: case and inner spaces are insignificant, so DER inequality is not distrust."""
    csca = make_csca()
    issuer_spelt_differently = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ministry of  PUBLIC security"),
            x509.NameAttribute(NameOID.COMMON_NAME, "csca viet nam", _type=_ASN1Type.PrintableString),
        ]
    )
    assert issuer_spelt_differently.public_bytes() != csca.cert.subject.public_bytes()
    key = rsa_key("ds-rsa")
    cert = make_certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Document Signer CCCD 01")]),
        key.public_key(),
        issuer_spelt_differently,
        csca.key,
        not_before=NOW - timedelta(days=365),
        not_after=NOW + timedelta(days=365),
        usage="ds",
        serial=0x1002,
    )
    chip = make_chip(csca=csca, ds=Issuer(cert, key))
    anchors = anchors_for(csca)
    for _ in range(2):
        report = verify(chip, anchors)
        assert report.valid, report.errors


# --- (b) a trust store reload right after a cached success ---------------------------------------


@pytest.mark.parametrize(
    "replacement",
    [
        pytest.param(lambda: make_csca("csca-other"), id="same-name-other-key"),
        pytest.param(lambda: make_csca("csca-other", common_name="CSCA Elsewhere"), id="other-name"),
    ],
)
def test_reload_without_the_csca_refuses_right_after_a_cached_success(
    tmp_path: Path, replacement: object
) -> None:
    chip = make_chip()
    (tmp_path / "vn.der").write_bytes(chip.csca.der)
    store = CscaTrustStore(TrustSources(directories=(tmp_path,)))
    for _ in range(2):
        assert verify(chip, store.anchors).valid
    assert ds_issuer_memoised(chip, store.anchors)

    other: Issuer = replacement()  # type: ignore[operator]
    (tmp_path / "vn.der").write_bytes(other.der)
    store.reload()
    refused = verify(chip, store.anchors)
    assert not refused.valid
    assert failed(refused) == {"ds_chain": "C04", "ds_revocation": None}  # revocation not run
    assert refused.passive.csca_certificate is None

    (tmp_path / "vn.der").write_bytes(chip.csca.der)  # and trusting it again works at once
    store.reload()
    assert verify(chip, store.anchors).valid


def test_an_old_snapshot_keeps_its_own_answers() -> None:
    """A verification holds the snapshot it started with; the new one learns nothing from it."""
    chip = make_chip()
    old, new = anchors_for(chip.csca), anchors_for(make_csca("csca-other"))
    assert verify(chip, old).valid
    assert verify(chip, new).errors == ["C04"]
    assert verify(chip, old).valid
    assert not ds_issuer_memoised(chip, anchors_for(chip.csca))  # a fresh snapshot starts empty


# --- (c) validity is judged on every call --------------------------------------------------------


def test_ds_expiry_is_judged_per_call() -> None:
    csca = make_csca()
    ds = make_ds(csca, not_before=NOW - timedelta(days=30), not_after=NOW + timedelta(days=1))
    chip = make_chip(csca=csca, ds=ds)
    anchors = anchors_for(csca)
    later = NOW + timedelta(days=2)
    assert verify(chip, anchors).valid
    assert ds_issuer_memoised(chip, anchors)
    expired = verify(chip, anchors, later)
    assert failed(expired) == {"ds_validity": "C05"}
    assert "expired" in (expired.passive.check("ds_validity") or pytest.fail()).detail
    assert verify(chip, anchors).valid  # and the failure is not remembered either


def test_ds_not_yet_valid_first_then_valid() -> None:
    csca = make_csca()
    ds = make_ds(csca, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=30))
    chip = make_chip(csca=csca, ds=ds)
    anchors = anchors_for(csca)
    assert failed(verify(chip, anchors, NOW - timedelta(days=2))) == {"ds_validity": "C05"}
    assert verify(chip, anchors).valid


def test_csca_expiry_is_judged_per_call() -> None:
    csca = make_csca(not_before=NOW - timedelta(days=3650), not_after=NOW + timedelta(days=1))
    chip = make_chip(csca=csca, ds=make_ds(csca, not_after=NOW + timedelta(days=30)))
    anchors = anchors_for(csca)
    assert verify(chip, anchors).valid
    late = verify(chip, anchors, NOW + timedelta(days=2))
    assert failed(late) == {"ds_chain": "C04"}
    assert "CSCA certificate not valid" in (late.passive.check("ds_chain") or pytest.fail()).detail
    assert verify(chip, anchors).valid


# --- (d) revocation: a CRL added after a cached success, and judged at `at` ------------------------


def test_crl_added_after_a_cached_success_revokes() -> None:
    chip = make_chip()
    plain = anchors_for(chip.csca)
    for _ in range(2):
        assert verify(chip, plain).valid
    revoking = anchors_for(chip.csca, crls=(make_crl(chip.csca, [chip.ds.cert.serial_number]),))
    refused = verify(chip, revoking)
    assert failed(refused) == {"ds_revocation": "C06"}
    assert verify(chip, revoking).errors == ["C06"]


def test_crl_added_by_a_reload_revokes(tmp_path: Path) -> None:
    chip = make_chip()
    (tmp_path / "vn.der").write_bytes(chip.csca.der)
    store = CscaTrustStore(TrustSources(directories=(tmp_path,)))
    assert verify(chip, store.anchors).valid
    (tmp_path / "vn.crl").write_bytes(make_crl(chip.csca, [chip.ds.cert.serial_number]))
    store.reload()
    assert verify(chip, store.anchors).errors == ["C06"]


def test_revocation_date_and_crl_currency_are_judged_per_call() -> None:
    """The CRL revokes the DS from NOW-20d and is current NOW-10d..NOW+80d (fixture defaults)."""
    chip = make_chip()
    anchors = anchors_for(chip.csca, crls=(make_crl(chip.csca, [chip.ds.cert.serial_number]),))
    before_revocation = NOW - timedelta(days=30)
    assert verify(chip, anchors, before_revocation).valid  # not yet revoked; CRL not yet current
    assert failed(verify(chip, anchors, before_revocation, require_crl=True)) == {"ds_revocation": "C17"}
    assert verify(chip, anchors).errors == ["C06"]
    assert verify(chip, anchors, before_revocation).valid


# --- concurrency and the memo itself --------------------------------------------------------------


def test_concurrent_verifications_agree_with_a_cold_one() -> None:
    csca = make_csca()
    chips = [
        make_chip(csca=csca, ds=make_ds(csca)),
        make_chip(csca=csca, ds=make_ds(csca, "ds-pss"), options=SignOptions(scheme="pss")),
        make_chip(
            csca=csca, ds=make_ds(csca, "ds-ec", key=ec_key("ds-ec")), options=SignOptions(scheme="ecdsa")
        ),
    ]
    anchors = anchors_for(csca)
    clear_memos()
    with ThreadPoolExecutor(max_workers=8) as pool:
        reports = list(pool.map(lambda i: verify(chips[i % 3], anchors).to_dict(), range(48)))
    clear_memos()
    expected = [verify(chip, anchors_for(csca)).to_dict() for chip in chips]
    assert all(r["valid"] for r in expected)
    assert all(report == expected[i % 3] for i, report in enumerate(reports))


def test_bounded_memo_evicts_the_least_recently_used_and_never_stores_errors() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2)
    assert memo.get_or_compute("a", lambda: 1) == 1
    assert memo.get_or_compute("b", lambda: 2) == 2
    assert memo.get_or_compute("a", lambda: 99) == 1  # hit; "a" is now the most recent
    assert memo.get_or_compute("c", lambda: 3) == 3  # evicts "b"
    assert "b" not in memo and "a" in memo and len(memo) == 2

    def boom() -> int:
        raise ValueError("malformed")

    for _ in range(2):
        with pytest.raises(ValueError):
            memo.get_or_compute("d", boom)
    assert "d" not in memo
    assert memo.hits == 1
    with pytest.raises(ValueError):
        BoundedMemo(0)


def test_a_malformed_sod_certificate_is_refused_every_time() -> None:
    chip = make_chip()
    der = chip.ds.der
    broken = chip.sod.replace(der, der[:4] + b"\x31" + der[5:])  # tbsCertificate tagged as a SET
    assert broken != chip.sod
    anchors = anchors_for(chip.csca)
    first, second = (verify_chip(broken, chip.data_groups, anchors, NOW) for _ in range(2))
    assert first.errors[:1] == ["C01"] and second.to_dict() == first.to_dict()
