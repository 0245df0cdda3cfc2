"""Fuzzing every chip parser: random and mutated bytes give a `ChipError` (or a failed check), never a crash.

Mutations start from valid structures built by the fixtures, so they reach deep into the ASN.1
(certificates inside the SOD, nested DG13 fields, the ISO 19794-5 header) rather than failing at
the first byte.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.chip_fixtures import (
    NOW,
    SignOptions,
    build_master_list,
    dg1,
    dg2,
    dg13,
    dg14,
    dg15,
    ec_key,
    make_chip,
    make_crl,
    make_csca,
    make_master_list_signer,
    rsa_key,
)
from verifier.chip import (
    ActiveAuthInput,
    build_trust_anchors,
    parse_dg1,
    parse_dg2,
    parse_dg13,
    verify_active_authentication,
    verify_chip,
    verify_passive,
)
from verifier.chip.active import parse_dg14_aa_algorithm, parse_dg15
from verifier.chip.certs import load_certificates
from verifier.chip.codes import CHIP_REASONS
from verifier.chip.crl import parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.masterlist import read_master_list
from verifier.chip.sod import parse_sod
from verifier.chip.trust import TrustAnchors

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def samples() -> dict[str, bytes]:
    chip = make_chip(aa="ec")
    de = make_csca("csca-de", key=ec_key("csca-de", "brainpoolP256r1"), common_name="CSCA Germany")
    return {
        "sod": chip.sod,
        "dg1": dg1(),
        "dg13": dg13(),
        "dg2": dg2(),
        "dg14": dg14(),
        "dg15_ec": dg15(ec_key("aa-ec").public_key()),
        "dg15_rsa": dg15(rsa_key("aa-rsa", 1024).public_key()),
        "master_list": build_master_list([de.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa")),
        "crl": make_crl(chip.csca, [1, 2, 3]),
        "csca": chip.csca.der,
    }


@cache
def anchors() -> TrustAnchors:
    chip = make_chip()
    return build_trust_anchors(certificates=[("csca", chip.csca.der)], crls=[("crl", samples()["crl"])])


@st.composite
def mutated(draw: st.DrawFn, name: str) -> bytes:
    """A valid sample with a few byte flips, insertions, deletions or a truncation."""
    data = bytearray(samples()[name])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "set":
            data[at] = draw(st.sampled_from([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF]))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete":
            del data[at : at + draw(st.integers(1, 4))]
        else:
            del data[at:]
    return bytes(data)


def inputs(name: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=300), mutated(name))


def only_chip_errors(parse: Callable[[bytes], Any], data: bytes) -> None:
    try:
        parse(data)
    except ChipError as e:
        assert e.code in CHIP_REASONS, e.code


@FUZZ
@given(inputs("sod"))
def test_sod_parser(data: bytes) -> None:
    only_chip_errors(parse_sod, data)


@FUZZ
@given(inputs("dg1"))
def test_dg1_parser(data: bytes) -> None:
    only_chip_errors(parse_dg1, data)


@FUZZ
@given(inputs("dg13"))
def test_dg13_parser(data: bytes) -> None:
    only_chip_errors(parse_dg13, data)


@FUZZ
@given(inputs("dg2"))
def test_dg2_parser(data: bytes) -> None:
    only_chip_errors(parse_dg2, data)


@FUZZ
@given(inputs("dg14"))
def test_dg14_parser(data: bytes) -> None:
    only_chip_errors(parse_dg14_aa_algorithm, data)


@FUZZ
@given(st.one_of(inputs("dg15_ec"), mutated("dg15_rsa")))
def test_dg15_parser(data: bytes) -> None:
    only_chip_errors(parse_dg15, data)


@FUZZ
@given(inputs("master_list"))
def test_master_list_parser(data: bytes) -> None:
    only_chip_errors(lambda d: read_master_list(d, []), data)


@FUZZ
@given(inputs("crl"))
def test_crl_parser(data: bytes) -> None:
    only_chip_errors(parse_crl, data)


@FUZZ
@given(inputs("csca"))
def test_certificate_loader(data: bytes) -> None:
    only_chip_errors(lambda d: load_certificates(d, code="C19"), data)


@FUZZ
@given(ml=inputs("master_list"), crl=inputs("crl"), cert=inputs("csca"))
def test_trust_store_never_raises(ml: bytes, crl: bytes, cert: bytes) -> None:
    built = build_trust_anchors(certificates=[("c", cert)], master_lists=[("m", ml)], crls=[("r", crl)])
    assert all(p.code in CHIP_REASONS for p in built.problems)


@FUZZ
@given(sod=inputs("sod"), dg_1=inputs("dg1"), dg_13=inputs("dg13"), dg_2=inputs("dg2"))
def test_verify_chip_reports_instead_of_raising(sod: bytes, dg_1: bytes, dg_13: bytes, dg_2: bytes) -> None:
    report = verify_chip(sod, {1: dg_1, 13: dg_13, 2: dg_2}, anchors(), NOW)
    assert all(code in CHIP_REASONS for code in report.errors)
    report.to_dict()
    passive = verify_passive(sod, {1: dg_1}, anchors(), NOW)
    assert passive.valid is (passive.errors == [] and all(c.passed for c in passive.checks))


@FUZZ
@given(
    dg_15=st.one_of(inputs("dg15_ec"), mutated("dg15_rsa")),
    dg_14=inputs("dg14"),
    signature=st.binary(max_size=140),
)
def test_active_authentication_reports_instead_of_raising(
    dg_15: bytes, dg_14: bytes, signature: bytes
) -> None:
    result = verify_active_authentication(dg_15, bytes(8), signature, dg_14)
    assert not result.passed and result.code in CHIP_REASONS
    report = verify_chip(
        samples()["sod"],
        {15: dg_15, 14: dg_14},
        anchors(),
        NOW,
        active_auth=ActiveAuthInput(bytes(8), signature),
    )
    assert (
        "C11" in report.errors or "C10" in report.errors or "C14" in report.errors or "C07" in report.errors
    )
