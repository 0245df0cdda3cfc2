"""Passive authentication (ICAO 9303-11 §5.1) on real CSCA → DS → EF.SOD chains built in fixtures."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.support.chip_fixtures import (
    NOW,
    Chip,
    Issuer,
    SignOptions,
    build_sod,
    default_pki,
    dg1,
    ec_key,
    make_chip,
    make_crl,
    make_csca,
    make_ds,
    rsa_key,
    td1_lines,
    tlv,
    with_group,
)
from verifier.chip import PassiveReport, TrustAnchors, build_trust_anchors, verify_passive
from verifier.chip.checks import Check


def anchors_for(*cscas: Issuer, crls: tuple[bytes, ...] = ()) -> TrustAnchors:
    anchors = build_trust_anchors(
        certificates=[(f"csca{i}", c.der) for i, c in enumerate(cscas)],
        crls=[(f"crl{i}", c) for i, c in enumerate(crls)],
    )
    assert anchors.problems == ()
    return anchors


def passive(
    chip: Chip, anchors: TrustAnchors | None = None, at: datetime = NOW, **kwargs: object
) -> PassiveReport:
    return verify_passive(
        chip.sod,
        chip.data_groups,
        anchors or anchors_for(chip.csca),
        at,
        **kwargs,  # type: ignore[arg-type]
    )


def check(report: PassiveReport, name: str) -> Check:
    found = report.check(name)
    assert found is not None, [c.name for c in report.checks]
    return found


def ec_pki(ds_curve: str = "P-256", csca_curve: str = "P-384") -> tuple[Issuer, Issuer]:
    csca = make_csca("csca-ec", key=ec_key("csca-ec", csca_curve), common_name="CSCA Viet Nam EC")
    ds = make_ds(csca, "ds-ec", key=ec_key(f"ds-ec-{ds_curve}", ds_curve), hash_name="sha384")
    return csca, ds


# --- every signature family and hash verifies ---------------------------------------------------

VALID_PROFILES = {
    "rsa-pkcs1-sha256": (SignOptions(), "sha256"),
    "rsa-pkcs1-bare-oid-sha1": (SignOptions(digest="sha1", bare_signature_oid=True), "sha1"),
    "rsa-pkcs1-sha512-dg-sha384": (SignOptions(digest="sha512"), "sha384"),
    "rsa-pss-sha256": (SignOptions(scheme="pss"), "sha256"),
    "rsa-pss-sha512-salt-32": (SignOptions(scheme="pss", digest="sha512", pss_salt=32), "sha512"),
    "rsa-pss-sha1-subject-key-id": (SignOptions(scheme="pss", digest="sha1", sid="ski"), "sha1"),
}


@pytest.mark.parametrize("profile", sorted(VALID_PROFILES))
def test_rsa_profiles_verify(profile: str) -> None:
    options, dg_hash = VALID_PROFILES[profile]
    report = passive(make_chip(options=options, dg_hash=dg_hash))
    assert report.errors == [], [c for c in report.checks if not c.passed]
    assert report.valid and report.sod_signature_valid and report.chain_trusted
    assert report.dg_hashes == {1: True, 2: True, 13: True}


@pytest.mark.parametrize(
    ("curve", "options", "dg_hash"),
    [
        ("P-256", SignOptions(scheme="ecdsa"), "sha256"),
        ("P-384", SignOptions(scheme="ecdsa", digest="sha384"), "sha512"),
        ("P-256", SignOptions(scheme="ecdsa", digest="sha224", bare_signature_oid=True), "sha224"),
        ("P-256", SignOptions(scheme="ecdsa-plain", digest="sha256"), "sha256"),
        ("brainpoolP256r1", SignOptions(scheme="ecdsa", digest="sha256", sid="ski"), "sha256"),
    ],
)
def test_ecdsa_profiles_verify(curve: str, options: SignOptions, dg_hash: str) -> None:
    csca, ds = ec_pki(curve)
    report = passive(make_chip(csca=csca, ds=ds, options=options, dg_hash=dg_hash))
    assert report.errors == [], [c for c in report.checks if not c.passed]
    assert "ECDSA" in (report.signature_algorithm or "")


def test_ds_certificate_signed_with_pss_by_the_csca() -> None:
    csca = make_csca()
    ds = make_ds(csca, "ds-rsa-2", key=rsa_key("ds-rsa-2"), pss=True, hash_name="sha384")
    report = passive(make_chip(csca=csca, ds=ds, options=SignOptions(scheme="pss")))
    assert report.valid, report.errors


def test_report_names_the_certificates_and_algorithms() -> None:
    report = passive(make_chip())
    assert report.ds_certificate is not None and "Document Signer" in report.ds_certificate.subject
    assert report.csca_certificate is not None and "CSCA Viet Nam" in report.csca_certificate.subject
    assert report.hash_algorithm == "SHA-256"
    assert report.signature_algorithm == "RSA PKCS#1 v1.5 with SHA-256"
    assert all(c.clause.startswith(("ICAO", "RFC")) for c in report.checks)
    data = report.to_dict()
    assert data["dg_hashes"] == {"1": True, "2": True, "13": True}
    assert data["errors"] == [] and data["sod_signature_valid"] is True


def test_sod_without_the_0x77_wrapper_and_with_reader_padding() -> None:
    chip = make_chip()
    bare = Chip(chip.sod[4:] if chip.sod[1] == 0x82 else chip.sod, chip.data_groups, chip.csca, chip.ds)
    assert passive(bare).valid
    padded = Chip(chip.sod + b"\x00" * 16, chip.data_groups, chip.csca, chip.ds)
    assert passive(padded).valid


# --- broken chips give the named check and code -------------------------------------------------


def test_tampered_data_group_is_a_hash_mismatch() -> None:
    chip = make_chip()
    altered = with_group(chip, 1, dg1(td1_lines().replace("AN<", "AM<")))
    report = passive(altered)
    assert report.errors == ["C07"]
    assert check(report, "dg1_hash").code == "C07"
    assert report.dg_hashes[1] is False and report.dg_hashes[13] is True
    assert report.sod_signature_valid and report.chain_trusted


def test_data_group_the_sod_does_not_list() -> None:
    chip = make_chip()
    report = passive(with_group(chip, 11, tlv(0x6B, b"\x5c\x00")))
    assert check(report, "dg11_hash").code == "C08"


def test_required_data_group_not_read() -> None:
    chip = make_chip()
    groups = {n: d for n, d in chip.data_groups.items() if n != 13}
    report = verify_passive(chip.sod, groups, anchors_for(chip.csca), NOW, required_data_groups=(1, 13))
    assert check(report, "required_data_groups").code == "C08"
    assert report.errors == ["C08"]


def test_required_data_group_not_in_the_sod() -> None:
    chip = make_chip(sod_groups={1: dg1()})
    report = passive(
        Chip(chip.sod, {1: chip.data_groups[1]}, chip.csca, chip.ds), required_data_groups=(1, 13)
    )
    assert "DG13 not read" in check(report, "required_data_groups").detail


def test_sod_signed_by_a_different_key_than_its_ds_certificate() -> None:
    csca, ds = default_pki()
    impostor = Issuer(ds.cert, rsa_key("impostor"))
    report = passive(make_chip(csca=csca, ds=impostor))
    assert check(report, "sod_signature").code == "C02"
    assert not report.sod_signature_valid and report.chain_trusted


def test_ds_issued_by_another_csca() -> None:
    other = make_csca("csca-other", common_name="CSCA Viet Nam")  # same name, different key
    ds = make_ds(other, "ds-other", key=rsa_key("ds-other"))
    chip = make_chip(csca=make_csca(), ds=ds)
    report = passive(chip)
    assert check(report, "ds_chain").code == "C04"
    assert "does not verify" in check(report, "ds_chain").detail
    assert check(report, "ds_revocation").status == "skip"
    assert report.sod_signature_valid and not report.chain_trusted


def test_ds_from_an_unknown_csca() -> None:
    chip = make_chip()
    stranger = make_csca("csca-stranger", common_name="CSCA Elsewhere")
    report = passive(chip, anchors_for(stranger))
    assert check(report, "ds_chain").code == "C04"
    assert "no CSCA named" in check(report, "ds_chain").detail


def test_empty_trust_store() -> None:
    report = passive(make_chip(), TrustAnchors())
    assert report.errors == ["C04"]


@pytest.mark.parametrize(
    ("offset", "valid"),
    [(timedelta(seconds=-1), True), (timedelta(0), True), (timedelta(seconds=1), False)],
)
def test_ds_validity_pinned_either_side_of_expiry(offset: timedelta, valid: bool) -> None:
    chip = make_chip()
    expiry = chip.ds.cert.not_valid_after_utc
    report = passive(chip, at=expiry + offset)
    assert check(report, "ds_validity").passed is valid
    if not valid:
        assert report.errors == ["C05"] and "expired" in check(report, "ds_validity").detail


def test_ds_not_yet_valid() -> None:
    chip = make_chip()
    report = passive(chip, at=chip.ds.cert.not_valid_before_utc - timedelta(seconds=1))
    assert check(report, "ds_validity").code == "C05"
    assert "not yet valid" in check(report, "ds_validity").detail


def test_expired_csca_breaks_the_chain() -> None:
    csca = make_csca(
        "csca-short",
        common_name="CSCA Viet Nam Short",
        not_after=NOW - timedelta(days=1),
        key=rsa_key("csca-short"),
    )
    ds = make_ds(csca, "ds-short", key=ec_key("ds-short"))
    report = passive(make_chip(csca=csca, ds=ds, options=SignOptions(scheme="ecdsa")))
    assert check(report, "ds_chain").code == "C04"
    assert "CSCA certificate not valid" in check(report, "ds_chain").detail


def test_csca_without_key_cert_sign_is_not_an_anchor() -> None:
    csca = make_csca("csca-ku", common_name="CSCA KU", usage="ds", key=rsa_key("csca-ku"))
    ds = make_ds(csca, "ds-ku", key=ec_key("ds-ku"))
    report = passive(make_chip(csca=csca, ds=ds, options=SignOptions(scheme="ecdsa")))
    assert "keyCertSign" in check(report, "ds_chain").detail


@pytest.mark.parametrize("usage", ["none", "encipher", "csca"])
def test_ds_key_usage_wrong(usage: str) -> None:
    csca, _ = default_pki()
    ds = make_ds(csca, "ds-rsa", usage=usage)  # type: ignore[arg-type]
    report = passive(make_chip(csca=csca, ds=ds))
    assert check(report, "ds_key_usage").code == "C15"


def test_sod_without_the_ds_certificate() -> None:
    report = passive(make_chip(options=SignOptions(include_certificate=False)))
    assert check(report, "ds_certificate").code == "C03"
    assert check(report, "sod_signature").status == "skip"
    assert report.errors == ["C03"]
    assert report.ds_certificate is None and not report.valid


def test_sod_carrying_only_an_unrelated_certificate() -> None:
    csca, ds = default_pki()
    other = make_ds(csca, "ds-unrelated", key=ec_key("ds-unrelated"), serial=0x1002)
    options = SignOptions(include_certificate=False, extra_certificates=(other.cert,))
    report = passive(make_chip(csca=csca, ds=ds, options=options))
    assert check(report, "ds_certificate").code == "C03"
    assert "sid" in check(report, "ds_certificate").detail


def test_bad_message_digest_attribute() -> None:
    report = passive(make_chip(options=SignOptions(bad_message_digest=True)))
    assert check(report, "signed_attributes").code == "C16"
    assert check(report, "sod_signature").passed  # the signature itself is fine
    assert not report.sod_signature_valid


def test_wrong_content_type_attribute() -> None:
    report = passive(make_chip(options=SignOptions(content_type_attr="1.2.840.113549.1.7.1")))
    assert check(report, "signed_attributes").code == "C16"


def test_revoked_ds() -> None:
    chip = make_chip()
    anchors = anchors_for(chip.csca, crls=(make_crl(chip.csca, [chip.ds.cert.serial_number, 77]),))
    report = passive(chip, anchors)
    assert check(report, "ds_revocation").code == "C06"
    assert report.errors == ["C06"] and not report.chain_trusted


def test_current_crl_not_listing_the_ds() -> None:
    chip = make_chip()
    report = passive(chip, anchors_for(chip.csca, crls=(make_crl(chip.csca, [77]),)), require_crl=True)
    assert check(report, "ds_revocation").passed
    assert "current CRL" in check(report, "ds_revocation").detail


def test_stale_crl_is_unknown_status() -> None:
    chip = make_chip()
    stale = make_crl(
        chip.csca, [], this_update=NOW - timedelta(days=100), next_update=NOW - timedelta(days=1)
    )
    anchors = anchors_for(chip.csca, crls=(stale,))
    lenient = passive(chip, anchors)
    assert check(lenient, "ds_revocation").passed and "nextUpdate" in check(lenient, "ds_revocation").detail
    strict = passive(chip, anchors, require_crl=True)
    assert check(strict, "ds_revocation").code == "C17"


def test_no_crl_with_require_crl() -> None:
    report = passive(make_chip(), require_crl=True)
    assert report.errors == ["C17"]


@pytest.mark.parametrize("cut", [1, 10, 100, -1, -200])
def test_truncated_sod(cut: int) -> None:
    chip = make_chip()
    report = passive(Chip(chip.sod[:cut], chip.data_groups, chip.csca, chip.ds))
    assert check(report, "sod_structure").code == "C01"
    assert report.errors == ["C01"]
    assert all(not c.passed for c in report.checks)
    assert report.dg_hashes == {1: False, 2: False, 13: False}


@pytest.mark.parametrize("data", [b"", b"\x77\x00", b"\x30\x03\x02\x01\x00", b"not asn.1 at all"])
def test_garbage_sod(data: bytes) -> None:
    report = verify_passive(data, {}, TrustAnchors(), NOW)
    assert report.errors == ["C01"]


def test_sod_whose_content_is_not_an_lds_security_object() -> None:
    chip = make_chip()
    from tests.support.chip_fixtures import sign_cms

    sod = tlv(0x77, sign_cms("1.2.840.113549.1.7.1", b"hello", chip.ds))
    report = verify_passive(sod, chip.data_groups, anchors_for(chip.csca), NOW)
    assert report.errors == ["C01"] and "eContentType" in check(report, "sod_structure").detail


def test_unsupported_data_group_hash_algorithm() -> None:
    chip = make_chip()
    sod = build_sod(chip.data_groups, chip.ds, hash_oid="1.2.840.113549.2.5")  # MD5
    report = verify_passive(sod, chip.data_groups, anchors_for(chip.csca), NOW)
    assert check(report, "dg1_hash").code == "C14"
    assert report.sod_signature_valid


def test_naive_time_is_a_caller_bug() -> None:
    chip = make_chip()
    with pytest.raises(ValueError, match="aware"):
        verify_passive(chip.sod, chip.data_groups, anchors_for(chip.csca), NOW.replace(tzinfo=None))
