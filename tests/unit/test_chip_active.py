"""Active authentication (ICAO 9303-11 §6.1): RSA ISO/IEC 9796-2 scheme 1 and plain ECDSA."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.chip_fixtures import (
    ECDSA_PLAIN_SHA256,
    ECDSA_PLAIN_SHA384,
    NOW,
    aa_sign_ec,
    aa_sign_rsa,
    dg14,
    dg15,
    ec_key,
    make_chip,
    rsa_key,
    tlv,
)
from verifier.chip import ActiveAuthInput, build_trust_anchors, verify_active_authentication, verify_chip
from verifier.chip.active import parse_dg14_aa_algorithm, parse_dg15
from verifier.chip.errors import ChipError

CHALLENGE = bytes.fromhex("0123456789abcdef")


def rsa_aa_key(bits: int = 1024) -> rsa.RSAPrivateKey:
    return rsa_key(f"aa-rsa-{bits}", bits)


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_rsa_iso9796_2_signature_verifies(hash_name: str) -> None:
    key = rsa_aa_key(2048) if hash_name == "sha512" else rsa_aa_key()
    signature = aa_sign_rsa(key, CHALLENGE, hash_name)
    result = verify_active_authentication(dg15(key.public_key()), CHALLENGE, signature)
    assert result.passed, result.detail
    assert result.name == "active_authentication" and "9796-2" in result.detail


def test_rsa_signature_over_another_challenge_fails() -> None:
    key = rsa_aa_key()
    signature = aa_sign_rsa(key, bytes(8))
    result = verify_active_authentication(dg15(key.public_key()), CHALLENGE, signature)
    assert result.code == "C11"


def test_rsa_signature_from_another_key_fails() -> None:
    signature = aa_sign_rsa(rsa_key("aa-clone", 1024), CHALLENGE)
    result = verify_active_authentication(dg15(rsa_aa_key().public_key()), CHALLENGE, signature)
    assert result.code == "C11"


@pytest.mark.parametrize("signature", [b"", b"\x00" * 128, b"\xff" * 128, b"\x01" * 300])
def test_rsa_garbage_signatures_fail(signature: bytes) -> None:
    assert verify_active_authentication(dg15(rsa_aa_key().public_key()), CHALLENGE, signature).code == "C11"


@pytest.mark.parametrize(
    ("curve", "oid", "hash_name"),
    [("P-256", ECDSA_PLAIN_SHA256, "sha256"), ("P-384", ECDSA_PLAIN_SHA384, "sha384")],
)
def test_ecdsa_plain_signature_verifies(curve: str, oid: str, hash_name: str) -> None:
    key = ec_key(f"aa-{curve}", curve)
    result = verify_active_authentication(
        dg15(key.public_key()), CHALLENGE, aa_sign_ec(key, CHALLENGE, hash_name), dg14(oid)
    )
    assert result.passed, result.detail
    assert hash_name.upper().replace("SHA", "SHA-") in result.detail


def test_ecdsa_der_signature_and_x962_oid_accepted() -> None:
    key = ec_key("aa-ec")
    plain = aa_sign_ec(key, CHALLENGE)
    der = encode_dss_signature(int.from_bytes(plain[:32], "big"), int.from_bytes(plain[32:], "big"))
    result = verify_active_authentication(dg15(key.public_key()), CHALLENGE, der, dg14("1.2.840.10045.4.3.2"))
    assert result.passed


def test_ecdsa_wrong_challenge_and_wrong_hash_fail() -> None:
    key = ec_key("aa-ec")
    signature = aa_sign_ec(key, CHALLENGE)
    assert verify_active_authentication(dg15(key.public_key()), bytes(8), signature, dg14()).code == "C11"
    assert (
        verify_active_authentication(
            dg15(key.public_key()), CHALLENGE, signature, dg14(ECDSA_PLAIN_SHA384)
        ).code
        == "C11"
    )


def test_ecdsa_needs_dg14_to_name_the_hash() -> None:
    key = ec_key("aa-ec")
    signature = aa_sign_ec(key, CHALLENGE)
    assert verify_active_authentication(dg15(key.public_key()), CHALLENGE, signature).code == "C14"
    no_aa_info = verify_active_authentication(dg15(key.public_key()), CHALLENGE, signature, dg14(None))
    assert no_aa_info.code == "C10"
    rsa_oid = verify_active_authentication(
        dg15(key.public_key()), CHALLENGE, signature, dg14("1.2.840.113549.1.1.11")
    )
    assert rsa_oid.code == "C14"


def test_dg14_and_dg15_parsing() -> None:
    assert parse_dg14_aa_algorithm(dg14()) == ECDSA_PLAIN_SHA256
    assert parse_dg14_aa_algorithm(dg14(None)) is None
    assert isinstance(parse_dg15(dg15(ec_key("aa-ec").public_key())), ec.EllipticCurvePublicKey)
    with pytest.raises(ChipError) as raised:
        parse_dg15(tlv(0x6F, b"\x30\x03\x02\x01\x00"))
    assert raised.value.code == "C10"
    with pytest.raises(ChipError) as raised:
        parse_dg14_aa_algorithm(tlv(0x6E, b"\x31\x03\x02\x01\x00"))
    assert raised.value.code == "C10"


def test_malformed_dg15_is_a_failed_check_not_an_exception() -> None:
    result = verify_active_authentication(b"\x6f\x02\x30", CHALLENGE, b"sig")
    assert result.code == "C10" and not result.passed


def test_challenge_must_be_eight_bytes() -> None:
    with pytest.raises(ValueError, match="8 bytes"):
        verify_active_authentication(dg15(rsa_aa_key().public_key()), b"1234567", b"")


@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_verify_chip_with_active_authentication(kind: str) -> None:
    chip = make_chip(aa=kind)  # type: ignore[arg-type]
    assert chip.aa_key is not None
    if isinstance(chip.aa_key, rsa.RSAPrivateKey):
        signature = aa_sign_rsa(chip.aa_key, CHALLENGE, "sha256")
    else:
        signature = aa_sign_ec(chip.aa_key, CHALLENGE)
    anchors = build_trust_anchors(certificates=[("csca", chip.csca.der)])
    report = verify_chip(
        chip.sod, chip.data_groups, anchors, NOW, active_auth=ActiveAuthInput(CHALLENGE, signature)
    )
    assert report.valid, report.errors
    assert report.active is not None and report.active.passed
    assert report.to_dict()["active_authentication"]["status"] == "pass"
    cloned = verify_chip(
        chip.sod, chip.data_groups, anchors, NOW, active_auth=ActiveAuthInput(bytes(8), signature)
    )
    assert cloned.errors == ["C11"]


def test_verify_chip_active_authentication_without_dg15() -> None:
    chip = make_chip()
    anchors = build_trust_anchors(certificates=[("csca", chip.csca.der)])
    report = verify_chip(
        chip.sod, chip.data_groups, anchors, NOW, active_auth=ActiveAuthInput(CHALLENGE, b"x")
    )
    assert report.active is not None and report.active.code == "C08"
    assert "C08" in report.errors
