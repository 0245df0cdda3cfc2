"""The CSCA trust store: certificate files, master lists (ICAO 9303-12 §8), CRLs, reload."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.chip_fixtures import (
    NOW,
    Issuer,
    SignOptions,
    build_master_list,
    ec_key,
    make_chip,
    make_crl,
    make_csca,
    make_master_list_signer,
    pem,
    rsa_key,
)
from verifier.chip import CscaTrustStore, TrustSources, build_trust_anchors, verify_passive
from verifier.chip.keys import load_public_key
from verifier.chip.masterlist import read_master_list
from verifier.chip.trust_store import load_trust_anchors, sniff


def german_csca() -> Issuer:
    return make_csca("csca-de", key=ec_key("csca-de", "brainpoolP256r1"), common_name="CSCA Germany")


def test_pem_file_with_several_certificates_and_der() -> None:
    a, b = make_csca(), german_csca()
    anchors = build_trust_anchors(
        certificates=[("bundle.pem", pem(a.cert) + b"\n" + pem(b.cert)), ("a.der", a.der)]
    )
    assert len(anchors.cscas) == 2  # the DER copy of `a` is deduplicated
    assert anchors.problems == ()
    assert {s.subject.split(",")[0] for s in anchors.summaries()} == {"CN=CSCA Viet Nam", "CN=CSCA Germany"}


def test_malformed_certificate_file_is_a_problem_not_an_exception() -> None:
    anchors = build_trust_anchors(
        certificates=[
            ("junk.der", b"\x30\x03\x02\x01\x00"),
            ("empty.pem", b"-----BEGIN FOO-----\nAA==\n-----END FOO-----\n"),
        ]
    )
    assert anchors.cscas == ()
    assert [p.code for p in anchors.problems] == ["C19", "C19"]


def test_master_list_signed_by_a_signer_of_a_listed_csca() -> None:
    de, vn = german_csca(), make_csca()
    signer = make_master_list_signer(de)
    data = build_master_list([de.cert, vn.cert], signer, SignOptions(scheme="ecdsa"))
    report = read_master_list(data, [])
    assert report.accepted and report.signature_valid and report.signer_trusted
    assert report.signer is not None and "Master List Signer" in report.signer.subject
    anchors = build_trust_anchors(master_lists=[("de.ml", data)])
    assert len(anchors.cscas) == 2 and anchors.problems == ()
    chip = make_chip()
    assert verify_passive(chip.sod, chip.data_groups, anchors, NOW).valid


def test_master_list_whose_signer_chains_to_an_already_trusted_csca() -> None:
    de, vn = german_csca(), make_csca()
    data = build_master_list([vn.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa"))
    assert not read_master_list(data, []).accepted
    anchors = build_trust_anchors(certificates=[("de.pem", pem(de.cert))], master_lists=[("ml", data)])
    assert len(anchors.cscas) == 2 and anchors.problems == ()


def test_master_list_with_an_untrusted_signer_is_reported_and_not_imported() -> None:
    rogue = make_csca("csca-rogue", key=ec_key("csca-rogue"), common_name="Rogue CSCA")
    vn = make_csca()
    data = build_master_list(
        [vn.cert], make_master_list_signer(rogue, "mls-rogue"), SignOptions(scheme="ecdsa")
    )
    report = read_master_list(data, [])
    assert report.signature_valid and not report.signer_trusted and not report.accepted
    assert "not issued by a CSCA" in (report.problem or "")
    anchors = build_trust_anchors(master_lists=[("rogue.ml", data)])
    assert anchors.cscas == ()
    assert [(p.source, p.code) for p in anchors.problems] == [("rogue.ml", "C20")]


def test_master_lists_depending_on_each_other_load_in_any_order() -> None:
    de, vn = german_csca(), make_csca()
    de_list = build_master_list([de.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa"))
    vn_list = build_master_list([vn.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa"))
    anchors = build_trust_anchors(master_lists=[("vn.ml", vn_list), ("de.ml", de_list)])
    assert len(anchors.cscas) == 2 and anchors.problems == ()


def test_tampered_master_list_signature() -> None:
    de = german_csca()
    data = bytearray(build_master_list([de.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa")))
    data[-5] ^= 0x01  # inside the signature
    report = read_master_list(bytes(data), [])
    assert not report.signature_valid and not report.accepted


def test_master_list_with_bad_message_digest() -> None:
    de = german_csca()
    options = SignOptions(scheme="ecdsa", bad_message_digest=True)
    report = read_master_list(build_master_list([de.cert], make_master_list_signer(de), options), [])
    assert not report.accepted and "message-digest" in (report.problem or "")


def test_master_list_without_its_signer_certificate() -> None:
    de = german_csca()
    options = SignOptions(scheme="ecdsa", include_certificate=False)
    anchors = build_trust_anchors(
        master_lists=[("ml", build_master_list([de.cert], make_master_list_signer(de), options))]
    )
    assert anchors.cscas == () and anchors.problems[0].code == "C20"


def test_garbage_master_list() -> None:
    anchors = build_trust_anchors(master_lists=[("junk.ml", b"\x30\x80garbage")])
    assert anchors.problems[0].code == "C19"


def test_crl_must_be_signed_by_the_csca_it_names() -> None:
    vn = make_csca()
    forged = make_crl(vn, [1], signing_key=rsa_key("forger"))
    anchors = build_trust_anchors(certificates=[("vn", vn.der)], crls=[("forged.crl", forged)])
    assert anchors.crls == () and anchors.problems[0].code == "C20"
    unknown = build_trust_anchors(crls=[("orphan.crl", make_crl(vn, [1]))])
    assert unknown.crls == () and unknown.problems[0].code == "C20"


def test_pem_crl_and_garbage_crl() -> None:
    vn = make_csca()
    anchors = build_trust_anchors(
        certificates=[("vn", vn.der)],
        crls=[("vn.pem", make_crl(vn, [5], pem_encoded=True)), ("bad.crl", b"\x30\x00")],
    )
    assert len(anchors.crls) == 1 and anchors.crls[0].revocation_date(5) is not None
    assert [p.code for p in anchors.problems] == ["C19"]
    assert anchors.crls[0].is_current(NOW) and not anchors.crls[0].is_current(NOW + timedelta(days=365))


def write_store(directory: Path) -> tuple[Issuer, Issuer]:
    de, vn = german_csca(), make_csca()
    (directory / "de.pem").write_bytes(pem(de.cert))
    (directory / "vn.ml").write_bytes(
        build_master_list([vn.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa"))
    )
    (directory / "vn.crl").write_bytes(make_crl(vn, [0x1001]))
    (directory / "notes.txt").write_bytes(b"not a certificate")
    return de, vn


def test_directory_sources_are_sorted_by_content(tmp_path: Path) -> None:
    write_store(tmp_path)
    assert sniff((tmp_path / "vn.ml").read_bytes()) == "master_list"
    assert sniff((tmp_path / "vn.crl").read_bytes()) == "crl"
    assert sniff((tmp_path / "de.pem").read_bytes()) == "certificates"
    anchors = load_trust_anchors(TrustSources(directories=(tmp_path,)))
    assert len(anchors.cscas) == 2 and len(anchors.crls) == 1
    assert [(Path(p.source).name, p.code) for p in anchors.problems] == [("notes.txt", "C19")]


def test_missing_files_are_problems(tmp_path: Path) -> None:
    anchors = load_trust_anchors(
        TrustSources(
            certificates=(tmp_path / "nope.pem",),
            crls=(tmp_path / "nope.crl",),
            directories=(tmp_path / "x",),
        )
    )
    assert [p.code for p in anchors.problems] == ["C19", "C19", "C19"]


def test_reload_picks_up_changed_files_without_restart(tmp_path: Path) -> None:
    store = CscaTrustStore(TrustSources(directories=(tmp_path,)))
    assert store.anchors.cscas == ()
    chip = make_chip()
    assert verify_passive(chip.sod, chip.data_groups, store.anchors, NOW).errors == ["C04"]
    (tmp_path / "vn.der").write_bytes(chip.csca.der)
    before = store.anchors
    fresh = store.reload()
    assert store.anchors is fresh and len(fresh.cscas) == 1 and before.cscas == ()
    assert verify_passive(chip.sod, chip.data_groups, store.anchors, NOW).valid
    (tmp_path / "vn.crl").write_bytes(make_crl(chip.csca, [chip.ds.cert.serial_number]))
    store.reload()
    assert verify_passive(chip.sod, chip.data_groups, store.anchors, NOW).errors == ["C06"]
    assert store.status() == {"cscas": 1, "crls": 1, "problems": []}


def test_store_around_a_prepared_snapshot() -> None:
    anchors = build_trust_anchors(certificates=[("vn", make_csca().der)])
    store = CscaTrustStore.of(anchors)
    assert store.anchors is anchors
    assert store.reload().cscas == ()  # no sources configured


def test_ec_key_with_explicit_domain_parameters_is_recognised() -> None:
    """Many DS and DG15 keys spell out the curve; `cryptography` only loads named curves."""
    key = ec_key("explicit").public_key()
    named = asn1_keys.PublicKeyInfo.load(
        key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    p = 2**256 - 2**224 + 2**192 + 2**96 - 1
    generator = ec.derive_private_key(1, ec.SECP256R1()).public_key()
    base = generator.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    specified = {
        "version": "ecdpVer1",
        "field_id": {"field_type": "prime_field", "parameters": p},
        "curve": {
            "a": (p - 3).to_bytes(32, "big"),
            "b": bytes.fromhex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b"),
        },
        "base": base,
        "order": 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551,
        "cofactor": 1,
    }
    explicit = asn1_keys.PublicKeyInfo(
        {
            "algorithm": {"algorithm": "ec", "parameters": ("specified", specified)},
            "public_key": named["public_key"],
        }
    )
    loaded = load_public_key(explicit.dump())
    assert isinstance(loaded, ec.EllipticCurvePublicKey)
    assert loaded.public_numbers() == key.public_numbers()
