"""A short run of every `bench.fuzz` target (the full run is `python -m bench.fuzz`, 1 M inputs), the
harness's own checks, and one regression test per crash the fuzzer found.

The targets are the benchmark's, not a copy: what the suite runs on every change is exactly what
the million-input run measured, only fewer inputs and another seed.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from asn1crypto import algos as asn1_algos
from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import parser as asn1_parser
from asn1crypto import x509 as asn1_x509
from hypothesis import strategies as st

import bench.fuzz.chip_verify as fuzz_chip_verify
import bench.fuzz.runner as fuzz_runner
from bench.fuzz import (
    ACCEPTED,
    CHIP_NOW,
    TARGETS,
    TOKEN_CHECKED,
    TOKEN_ISSUED,
    TOKEN_PREFIX,
    Tally,
    Target,
    Unexpected,
    chip_world,
    decode,
    der_nodes,
    encode,
    execute,
    replace_node,
    run_chip,
    run_chunk,
    run_target,
    run_token,
    token_world,
)
from tests.support.tokens import CARD, signing_key
from verifier.chip import ChipError, ChipReport, build_trust_anchors, verify_chip
from verifier.chip.active import parse_dg14_aa_algorithm
from verifier.chip.certs import MAX_CERTIFICATE_BYTES, load_certificate
from verifier.tokens import problems as p
from verifier.tokens.card_token import CardClaims, issue_card_token, verify_token
from verifier.tokens.cose import loads as cbor_loads
from verifier.tokens.cose import parse_sign1, sign1
from verifier.tokens.framing import wrap
from verifier.tokens.keys import KeyFileError, TrustStore, read_trusted_keys
from verifier.tokens.problems import TokenProblem

INPUTS_PER_TARGET = 200


@pytest.mark.parametrize("name", list(TARGETS))
def test_target_runs_without_a_crash(name: str) -> None:
    tally = run_target(name, INPUTS_PER_TARGET, seed=2026)
    described = "; ".join(f"{c.kind} at {c.where}: {c.message}" for c in tally.samples)
    assert tally.crashes == 0, described
    assert tally.inputs == INPUTS_PER_TARGET
    assert sum(tally.errors.values()) + tally.accepted == INPUTS_PER_TARGET


def test_an_exception_outside_the_documented_errors_is_recorded_as_a_crash_with_its_input() -> None:
    def parse(data: bytes) -> str:
        if data.startswith(b"\x00"):
            raise IndexError("the parser forgot a bounds check")
        return ACCEPTED

    target = Target("broken", "a parser with a bug", lambda: TARGETS["tlv"].inputs(), parse)
    tally = Tally("broken")
    execute(target, b"\x01", tally, alarm=False)
    execute(target, b"\x00\x01", tally, alarm=False)
    assert (tally.inputs, tally.accepted, tally.crashes) == (2, 1, 1)
    crash = tally.samples[0]
    assert crash.kind == "IndexError" and crash.value == b"\x00\x01"
    assert decode(encode({"sod": b"\x77", "groups": {1: b"\x61"}, "text": "\udcff"})) == {
        "sod": b"\x77",
        "groups": {1: b"\x61"},
        "text": "\udcff",
    }


def test_inputs_run_under_python_default_recursion_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hypothesis raises the recursion limit for itself; a parser recursing 1500 levels must still
    count as the RecursionError it would be in the verifier."""

    def deep(levels: int) -> int:
        return 0 if levels == 0 else 1 + deep(levels - 1)

    target = Target("deep", "recursion", lambda: st.just(b""), lambda _: str(deep(1500)))
    monkeypatch.setitem(TARGETS, "deep", target)
    tally = run_chunk("deep", 4, seed=1)
    assert tally.crashes == 4 and tally.samples[0].kind == "RecursionError"


def test_a_hang_inside_c_code_is_caught_by_the_watchdog(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No signal interrupts C code, so the parent kills the worker and keeps the input as a "hang"."""

    def hangs(value: bytes) -> str:
        shared: tuple[object, ...] = ()
        for _ in range(60):
            shared = (shared, shared)
        if value == b"\x01":
            hash(shared)  # 2^60 steps in C
        return ACCEPTED

    target = Target("hang", "a C-level hang", lambda: st.just(b"\x01"), hangs)
    monkeypatch.setitem(TARGETS, "hang", target)
    monkeypatch.setattr(fuzz_runner, "WATCHDOG_SECONDS", 1.0)
    monkeypatch.setattr(fuzz_runner, "POLL_SECONDS", 0.2)
    monkeypatch.setattr(fuzz_runner, "ARTIFACTS", tmp_path)  # where the reproducer goes
    tallies, _ = fuzz_runner.fuzz({"hang": 2}, seed=0, jobs=1, chunk=2)
    crash = tallies["hang"].samples[0]
    assert (crash.kind, crash.value) == ("hang", b"\x01")
    assert [saved.name.startswith("hang-") for saved in tmp_path.iterdir()] == [True]


def test_a_genuine_token_is_accepted_and_a_forged_one_never_is() -> None:
    world = token_world()
    assert run_token(world.tokens[0].text) == ACCEPTED
    forger = signing_key("ec-p256", "forger")
    forged = issue_card_token(
        world.tokens[0].card,
        dataclasses.replace(forger, trusted=dataclasses.replace(forger.trusted, kid=world.keys[1].kid)),
        issuer="VN-BHXH",
        issued_at=TOKEN_ISSUED,
        lifetime=timedelta(minutes=5),
        prefix=TOKEN_PREFIX,
    )
    assert run_token(forged.text) == p.BAD_SIGNATURE


def test_the_chip_property_accepts_a_genuine_read_and_catches_a_changed_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = chip_world()
    chip = world.chips[0]
    genuine = {"sod": chip.sod, "groups": dict(chip.data_groups), "signature": world.aa_signatures[0]}
    assert run_chip(genuine) == ACCEPTED
    assert run_chip({**genuine, "signature": bytes(64)}) == "C11"
    changed = {**genuine, "groups": {**chip.data_groups, 1: chip.data_groups[1] + b"\x00"}}
    assert run_chip(changed) == "C07"

    # Were the verifier ever to pass that read, the target would report a forgery, not answer.
    real = fuzz_chip_verify.verify_chip

    def passes_everything(*args: Any, **kwargs: Any) -> ChipReport:
        report = real(*args, **kwargs)
        passed = tuple(dataclasses.replace(c, passed=True, code=None) for c in report.passive.checks)
        return dataclasses.replace(report, passive=dataclasses.replace(report.passive, checks=passed))

    monkeypatch.setattr(fuzz_chip_verify, "verify_chip", passes_everything)
    with pytest.raises(Unexpected, match="forgery: a changed data group"):
        run_chip(changed)


# --- regressions: one per crash the fuzzer found ------------------------------------------------


def test_a_certificate_with_a_malformed_name_is_a_key_file_error_not_a_value_error() -> None:
    """Found by `signing-cert`: `cryptography` decodes names lazily, so a subject with a duplicated
    attribute raised ValueError out of `read_trusted_keys` (TrustSigningKey answered INTERNAL)."""
    cert = asn1_x509.Certificate.load(signing_key().trusted.certificate_der)
    twice = asn1_x509.DirectoryString(name="utf8_string", value="twice")
    attribute = asn1_x509.NameTypeAndValue({"type": "common_name", "value": twice})
    rdn = asn1_x509.RelativeDistinguishedName([attribute, attribute])
    cert["tbs_certificate"]["subject"] = asn1_x509.Name(name="", value=asn1_x509.RDNSequence([rdn]))
    with pytest.raises(KeyFileError, match="unreadable certificate"):
        read_trusted_keys(cert.dump(force=True), "admin")


@pytest.mark.parametrize(
    "change",
    [{"date_of_birth": "1990-13-45"}, {"date_of_birth": "05/01/1990"}, {"full_name": "A" * 201}],
    ids=["impossible-date", "not-iso", "name-too-long"],
)
def test_a_signed_card_the_check_in_cannot_judge_is_malformed(change: dict[str, str]) -> None:
    """Found by `token-claims`: a genuinely signed card whose birth date or name the identity check
    refuses verified as valid, and the check-in then failed with 205 instead of giving a verdict."""
    key = signing_key()
    token = issue_card_token(
        dataclasses.replace(CARD, **change),
        key,
        issuer="VN-BHXH",
        issued_at=TOKEN_ISSUED,
        lifetime=timedelta(minutes=5),
    )
    report = verify_token(token.text, TrustStore([key.trusted]), TOKEN_CHECKED)
    assert report.signature_valid and report.errors == (p.MALFORMED,) and report.card is None


def test_claims_with_integers_beyond_python_decimal_limit_still_print_as_json() -> None:
    """Found by `token-verify`/`token-claims` once huge integers joined the CBOR values: claims are
    shown even for a forgery, and json.dumps of a 5000-digit bignum (or a fraction of them) raised
    ValueError in `token verify --json`."""
    key = signing_key()
    payload = cbor2.dumps({1: "VN-BHXH", 6: 1, 4: 2, -7: 10**5000, -8: cbor2.CBORTag(30, [10**5000, 3])})
    text = wrap(sign1(payload, key.private_key, key.kid).to_bytes(), TOKEN_PREFIX)
    report = verify_token(text, TrustStore(), TOKEN_CHECKED)
    shown = json.loads(json.dumps(report.to_json_dict()))["claims"]
    assert shown["-7"] == hex(10**5000)
    assert shown["-8"] == {"tag": 30, "value": [hex(10**5000), 3]}  # a fraction stays a plain tag


def test_a_master_list_signer_with_a_huge_negative_serial_is_a_listed_problem() -> None:
    """Found by reading what `master-list` reaches: the signer summary wrote a negative serial in
    decimal, and Python refuses decimal text past 4300 digits, so `build_trust_anchors` raised."""
    info = cms.ContentInfo.load(chip_world().master_list)
    huge = -(10**5000)
    for choice in info["content"]["certificates"]:
        choice.chosen["tbs_certificate"]["serial_number"] = huge
    info["content"]["signer_infos"][0]["sid"].chosen["serial_number"] = huge
    anchors = build_trust_anchors(master_lists=[("ml", info.dump(force=True))])
    assert [problem.code for problem in anchors.problems] == ["C20"]


def test_exotic_cbor_tags_stay_plain_tags_and_report_nothing_to_stderr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found by `cose` once the harness watched for "unraisable" exceptions: cbor2 built an IP network
    from tag 261, and while formatting why a hostile one was invalid it reported a ValueError as
    unraisable (a stderr traceback per token). Credentials use no semantic tags, so none is built."""
    unraisable: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    hostile = cbor2.dumps(cbor2.CBORTag(18, cbor2.CBORTag(261, {1: {1: 10**5000}})))
    with pytest.raises(TokenProblem, match="COSE_Sign1 must be an array"):
        parse_sign1(hostile)
    assert not unraisable
    claims = cbor_loads(cbor2.dumps({6: cbor2.CBORTag(1, 5), 7: cbor2.CBORTag(35, "(a+)+$")}))
    assert claims == {6: cbor2.CBORTag(1, 5), 7: cbor2.CBORTag(35, "(a+)+$")}


def test_a_certificate_of_an_unknown_x509_version_is_a_key_file_error() -> None:
    """Found by `signing-cert` (seed 0): `cryptography` raises InvalidVersion, which is no ValueError."""
    cert = asn1_x509.Certificate.load(signing_key().trusted.certificate_der)
    cert["tbs_certificate"]["version"] = 3  # v4 does not exist
    with pytest.raises(KeyFileError):
        read_trusted_keys(cert.dump(force=True), "admin")


def test_bignums_where_small_integers_belong_are_malformed_not_a_crash() -> None:
    """Found by `token-claims` (seed 0): error messages quoted a 5000-digit card-claim version (and
    would have quoted such an algorithm id), and Python refuses that decimal text."""
    key = signing_key()
    claims = {1: "VN-BHXH", 6: 1, 4: 2, 7: bytes(16), -65584: {"v": 10**5000}}
    text = wrap(sign1(cbor2.dumps(claims), key.private_key, key.kid).to_bytes(), TOKEN_PREFIX)
    assert p.MALFORMED in verify_token(text, TrustStore([key.trusted]), TOKEN_CHECKED).errors
    with pytest.raises(TokenProblem, match="card claim version 0x"):
        CardClaims.from_cbor({"v": 10**5000})
    genuine = sign1(cbor2.dumps({1: "VN-BHXH", 6: 1, 4: 2}), key.private_key, key.kid)
    bignum_alg = dataclasses.replace(genuine, protected_bytes=cbor2.dumps({1: 10**5000, 4: key.kid}))
    assert parse_sign1(bignum_alg.to_bytes()).alg is None
    report = verify_token(wrap(bignum_alg.to_bytes(), TOKEN_PREFIX), TrustStore([key.trusted]), TOKEN_CHECKED)
    assert report.errors[0] == p.UNSUPPORTED_ALGORITHM  # (then: issued in 1970, long expired)
    json.dumps(report.to_json_dict())


def test_a_crl_claiming_a_huge_pss_salt_is_a_listed_problem() -> None:
    """Found by `sod` (seed 0, the million-input run): the RSASSA-PSS "salt length out of range" error
    quoted a 5000-digit salt, Python refused the text, and the ValueError escaped `crl_signer` (and
    a master list's signature check), so the whole trust store build raised."""
    world = chip_world()
    revocations = asn1_crl.CertificateList.load(world.crl)
    revocations["signature_algorithm"] = asn1_algos.SignedDigestAlgorithm(
        {"algorithm": "rsassa_pss", "parameters": asn1_algos.RSASSAPSSParams({"salt_length": 10**5000})}
    )
    anchors = build_trust_anchors(
        certificates=[("csca", world.chips[0].csca_der)], crls=[("crl", revocations.dump(force=True))]
    )
    assert [problem.code for problem in anchors.problems] == ["C20"]


def test_a_crl_whose_signed_part_fails_to_re_encode_is_malformed_not_a_crash() -> None:
    """Found by `crl` (the million-input run): a CRL with an indefinite-length (BER) tbsCertList and a
    broken algorithm inside it parsed, but asn1crypto re-encodes such a part when the signature check
    asks for its bytes, and the ValueError escaped `crl_signer`, so the trust store build raised."""
    world = chip_world()
    nodes = der_nodes(world.crl)
    signed_part = nodes[1]  # tbsCertList
    oid = next(i for i, n in enumerate(nodes) if n.tag == b"\x06" and nodes[n.parent].parent == 1)
    broken = nodes[oid]  # the algorithm OID inside tbsCertList, re-tagged below as constructed
    crl = replace_node(
        world.crl, nodes, oid, b"\x26" + world.crl[broken.start + 1 : broken.start + broken.size]
    )
    body = crl[signed_part.start + signed_part.header : signed_part.start + signed_part.size]
    rest = crl[signed_part.start + signed_part.size :]
    crl = asn1_parser.emit(0, 1, 16, b"\x30\x80" + body + b"\x00\x00" + rest)  # SEQUENCE, BER inside
    anchors = build_trust_anchors(certificates=[("csca", world.chips[0].csca_der)], crls=[("crl", crl)])
    assert [problem.code for problem in anchors.problems] == ["C19"]


def _nested(depth: int) -> bytes:
    value = b""
    for _ in range(depth):
        value = asn1_parser.emit(0, 1, 16, value)  # SEQUENCE { SEQUENCE { ... } }
    return value


def _with_basic_constraints(certificate: bytes, value: bytes) -> bytes:
    """The certificate with its keyUsage extension turned into a basicConstraints holding `value`."""
    key_usage = certificate.index(bytes.fromhex("0603551d0f"))
    nodes = der_nodes(certificate)
    oid = next(i for i, n in enumerate(nodes) if n.start == key_usage)
    changed = replace_node(certificate, nodes, oid, bytes.fromhex("0603551d13"))
    nodes = der_nodes(changed)
    octets = next(i for i, n in enumerate(nodes) if n.tag == b"\x04" and n.start > key_usage)
    return replace_node(changed, nodes, octets, asn1_parser.emit(0, 0, 4, value))


def test_a_document_signer_nested_a_thousand_levels_deep_is_a_malformed_sod() -> None:
    """Found by widening the fuzzer's nesting past Python's recursion limit: asn1crypto decodes
    nested values recursively, and the RecursionError from a 6 KB EF.SOD escaped `verify_chip`
    (the kiosk would have got INTERNAL). Now it is C01 like any other unreadable EF.SOD."""
    world = chip_world()
    chip = world.chips[0]
    deep = _with_basic_constraints(chip.ds_der, asn1_parser.emit(0, 1, 16, b"\x01\x01\xff" + _nested(1200)))
    nodes = der_nodes(chip.sod)
    ds_node = next(i for i, n in enumerate(nodes) if n.start == chip.sod.index(chip.ds_der))
    sod = replace_node(chip.sod, nodes, ds_node, deep)
    assert verify_chip(sod, chip.data_groups, world.anchors, CHIP_NOW).errors == ["C01"]


def test_a_certificate_far_larger_than_a_real_one_is_refused_before_decoding() -> None:
    """Found by `trust-store`: a CSCA file of 50 KB of nested basic constraints took 1 s of CPU to
    decode (asn1crypto, ~20 us per byte; a 150 KB one inside an EF.SOD 3 s). Real ones are ~2 KB."""
    world = chip_world()
    chain = _nested(300)
    bulky = _with_basic_constraints(
        world.chips[0].csca_der, asn1_parser.emit(0, 1, 16, b"\x01\x01\xff" + chain * 60)
    )
    assert len(bulky) > MAX_CERTIFICATE_BYTES
    with pytest.raises(ChipError, match="over 16384"):
        load_certificate(bulky, code="C19")


def test_a_certificate_name_with_a_value_of_the_wrong_type_is_a_key_file_error() -> None:
    """Found by `signing-cert` (seed 5): a commonName holding a BIT STRING makes `cryptography` raise
    TypeError when the subject is first read, which escaped `read_trusted_keys`."""
    certificate = signing_key().trusted.certificate_der
    nodes = der_nodes(certificate)
    issuer = certificate.index(bytes.fromhex("0603550403"))
    common_name = certificate.index(bytes.fromhex("0603550403"), issuer + 1)  # the subject's
    value = next(i for i, n in enumerate(nodes) if n.start > common_name and n.tag == b"\x0c")
    node = nodes[value]
    bits = asn1_parser.emit(0, 0, 3, b"\x00" + certificate[node.start + node.header : node.start + node.size])
    with pytest.raises(KeyFileError, match="unreadable certificate"):
        read_trusted_keys(replace_node(certificate, nodes, value, bits), "admin")


def _shared_key(levels: int) -> bytes:
    """CBOR for a map whose one key is an array holding itself twice, `levels` deep, by value sharing
    (tags 28/29): a few bytes per level, 2^levels leaves once expanded."""
    opening = bytes.fromhex("d81c82") * (levels - 1) + bytes.fromhex("d81c80")
    references = b"".join(bytes.fromhex("d81d") + cbor2.dumps(index) for index in range(levels - 1, 0, -1))
    return b"\xa1" + opening + references + b"\x01"


def test_value_sharing_is_not_expanded_so_a_tiny_token_cannot_hang_the_verifier() -> None:
    """Found by `token-claims` (seed 6): the value-sharing bomb as a map key. cbor2 made the key
    hashable by building the shared DAG into tuples, and hashing 2^60 leaves never returned (inside
    C: no alarm, no timeout reaches it) for a 400-byte token, before any signature check. Shared
    values stay plain tags now; the 4-level case shows it without the wait."""
    assert cbor2.loads(_shared_key(4)) == {((((), ()), ((), ())), (((), ()), ((), ()))): 1}
    decoded = cbor_loads(_shared_key(4))
    key = next(iter(decoded))
    assert isinstance(key, cbor2.CBORTag) and key.tag == 28
    key_60 = cbor_loads(_shared_key(60))  # returns at once; cbor2.loads would not
    assert len(key_60) == 1
    text = wrap(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, _shared_key(60), b""])), TOKEN_PREFIX)
    assert verify_token(text, TrustStore(), TOKEN_CHECKED).errors[0] == p.MALFORMED


def test_structures_nested_beyond_any_real_one_are_refused_before_decoding() -> None:
    """Found by `sod` and `dg14` (the million-input run): 50 KB of SEQUENCEs nested 300 deep took
    asn1crypto a second of CPU (its cost grows with the square of the depth); the 256 KB a request
    may carry would take five. Real ICAO structures nest ~15 deep; past 32 they are refused."""
    world = chip_world()
    chain = _nested(300) * 10  # 12 KB
    nodes = der_nodes(world.chips[0].sod)
    certificates = next(i for i, n in enumerate(nodes) if n.tag == b"\xa0" and n.parent >= 0)
    node = nodes[certificates]
    whole = world.chips[0].sod[node.start : node.start + node.size]
    sod = replace_node(world.chips[0].sod, nodes, certificates, whole + chain)
    report = verify_chip(sod, world.chips[0].data_groups, world.anchors, CHIP_NOW)
    assert report.errors[0] == "C01"
    assert "nested deeper than 32 levels" in report.passive.checks[0].detail
    dg14 = asn1_parser.emit(1, 1, 14, asn1_parser.emit(0, 1, 17, chain))
    with pytest.raises(ChipError, match="DG14: nested deeper than 32 levels"):
        parse_dg14_aa_algorithm(dg14)
