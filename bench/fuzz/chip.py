"""The chip samples (ICAO 9303 reads, a CRL, a master list) and the targets for the chip's own
structures: BER-TLV, EF.SOD/CMS, DG1/MRZ, DG13, DG2, DG14, DG15 and CCCD numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import strategies as st

from bench.fuzz.der import der_inputs
from bench.fuzz.harness import ACCEPTED, Target, known, stored, to_text
from bench.fuzz.mutations import EDGE_TEXTS, mutated_text
from tests.support.chip_fixtures import (
    TINY_JPEG,
    SignOptions,
    aa_sign_ec,
    aa_sign_rsa,
    build_master_list,
    dg1,
    dg2,
    dg13,
    ec_key,
    iso19794_5_record,
    make_chip,
    make_crl,
    make_csca,
    make_ds,
    make_master_list_signer,
    td1_lines,
)
from verifier.chip import build_trust_anchors, parse_dg1, parse_dg2, parse_dg13
from verifier.chip.active import parse_dg14_aa_algorithm, parse_dg15
from verifier.chip.cccd import cccd_inconsistencies, parse_cccd_number
from verifier.chip.cms import parse_signed_data, signature_scheme_name
from verifier.chip.codes import CHIP_REASONS, TRUST_SOURCE_MALFORMED
from verifier.chip.crl import parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.masterlist import CSCA_MASTER_LIST_OID
from verifier.chip.mrz import Td1Mrz, parse_td1
from verifier.chip.sod import parse_sod
from verifier.chip.tlv import children, ef_contents, find_first, read_tlv
from verifier.chip.tlv import unwrap as tlv_unwrap
from verifier.chip.trust import TrustAnchors
from verifier.domain.participation import Gender

AA_CHALLENGE = bytes(range(1, 9))


@dataclass(frozen=True)
class ChipRead:
    """A genuine read as a kiosk sends it, and the certificates that vouch for it."""

    sod: bytes
    data_groups: dict[int, bytes]
    csca_der: bytes
    ds_der: bytes


@dataclass(frozen=True)
class ChipWorld:
    """Genuine chips (three signature schemes, RSA and EC active authentication) and trust sources."""

    chips: tuple[ChipRead, ...]
    aa_signatures: tuple[bytes | None, ...]
    anchors: TrustAnchors
    cscas: tuple[asn1_x509.Certificate, ...]
    master_list: bytes
    master_list_content: bytes
    crl: bytes
    crl_tbs: bytes
    csca_pem: bytes
    signed: dict[tuple[bytes, bytes | None], int]  # (eContent, signed attributes) -> chip index

    def pool(self) -> tuple[bytes, ...]:
        """Every valid structure, as donors for grafts and splices."""
        groups = [g for chip in self.chips for g in chip.data_groups.values()]
        return (*[c.sod for c in self.chips], *groups, self.master_list, self.crl, self.chips[0].csca_der)

    def groups(self, number: int) -> tuple[bytes, ...]:
        return tuple(dict.fromkeys(c.data_groups[number] for c in self.chips if number in c.data_groups))


def _build_chip_samples() -> dict[str, Any]:
    """Chips from the test fixtures (their keys are random, hence stored), a CRL and a master list."""
    ec_chip = make_chip(aa="ec")
    rsa_aa_chip = make_chip(aa="rsa", options=SignOptions(scheme="pss"), dg_hash="sha384")
    ec_ds = make_ds(ec_chip.csca, "ds-ec", key=ec_key("ds-ec"), serial=0x1002)
    ecdsa_chip = make_chip(csca=ec_chip.csca, ds=ec_ds, options=SignOptions(scheme="ecdsa", sid="ski"))
    chips: list[dict[str, Any]] = []
    for chip in (ec_chip, rsa_aa_chip, ecdsa_chip):
        signature: bytes | None = None
        if chip.aa_key is not None and 14 in chip.data_groups:
            signature = aa_sign_ec(chip.aa_key, AA_CHALLENGE)  # type: ignore[arg-type]
        elif chip.aa_key is not None:
            signature = aa_sign_rsa(chip.aa_key, AA_CHALLENGE)  # type: ignore[arg-type]
        chips.append(
            {
                "sod": chip.sod,
                "groups": chip.data_groups,
                "csca": chip.csca.der,
                "ds": chip.ds.der,
                "aa": signature,
            }
        )
    de = make_csca("csca-de", key=ec_key("csca-de", "brainpoolP256r1"), common_name="CSCA Germany")
    return {
        "chips": chips,
        "crl": make_crl(ec_chip.csca, [1, 2, 3]),
        "master_list": build_master_list([de.cert], make_master_list_signer(de), SignOptions(scheme="ecdsa")),
    }


@cache
def chip_world() -> ChipWorld:
    samples = stored("chips", _build_chip_samples)
    chips = tuple(ChipRead(c["sod"], dict(c["groups"]), c["csca"], c["ds"]) for c in samples["chips"])
    crl, master_list, csca_der = samples["crl"], samples["master_list"], chips[0].csca_der
    content = parse_signed_data(
        master_list, expected_content_type=CSCA_MASTER_LIST_OID, code=TRUST_SOURCE_MALFORMED, what="ml"
    ).content
    signed: dict[tuple[bytes, bytes | None], int] = {}
    for index, chip in enumerate(chips):
        security = parse_sod(chip.sod)
        signed[(security.signed.content, security.signed.signer.signed_attrs)] = index
    return ChipWorld(
        chips=chips,
        aa_signatures=tuple(c["aa"] for c in samples["chips"]),
        anchors=build_trust_anchors(certificates=[("csca", csca_der)], crls=[("crl", crl)]),
        cscas=(asn1_x509.Certificate.load(csca_der),),
        master_list=master_list,
        master_list_content=content,
        crl=crl,
        crl_tbs=parse_crl(crl).signed["tbs_cert_list"].dump(),
        csca_pem=x509.load_der_x509_certificate(csca_der).public_bytes(serialization.Encoding.PEM),
        signed=signed,
    )


def chip_parser(parse: Callable[[Any], Any]) -> Callable[[Any], str]:
    def run(data: Any) -> str:
        try:
            parse(data)
        except ChipError as e:
            return known(e.code, CHIP_REASONS)
        return ACCEPTED

    return run


def _touch_mrz(mrz: Td1Mrz) -> None:
    """Every field the identity checks and operator views read."""
    _ = (mrz.document_code, mrz.issuing_state, mrz.document_number, mrz.optional_data_1, mrz.sex)
    _ = (mrz.birth_date_text, mrz.expiry_date_text, mrz.nationality, mrz.optional_data_2, mrz.name)
    _ = (mrz.expiry_date, mrz.birth_date(1900), mrz.birth_date(2000), mrz.cccd_number)
    mrz.check_digit_failures()


def _parse_sod(data: bytes) -> None:
    security = parse_sod(data)
    _ = (
        security.signed.signer_certificate(),
        signature_scheme_name(security.signed),
        dict(security.dg_hashes),
    )


def _parse_dg1(data: bytes) -> None:
    _touch_mrz(parse_dg1(data))


def _parse_mrz(text: str) -> None:
    _touch_mrz(parse_td1(text))


def _parse_dg13(data: bytes) -> None:
    personal = parse_dg13(data)
    _ = (
        personal.date_of_birth,
        personal.birth_year,
        personal.issue_date,
        personal.expiry_date,
        personal.gender,
    )


def _parse_dg2(data: bytes) -> None:
    image = parse_dg2(data)
    _ = (image.format, image.size, image.width, image.height)


def _parse_tlv(data: bytes) -> None:
    """The BER-TLV walker under every data group parser, each of its entry points."""
    ef_contents(data)
    first = read_tlv(data)
    list(children(first.value))
    find_first(data, frozenset({0x5F2E, 0x7F2E, 0x5F1F}))
    tlv_unwrap(data, first.tag)


def run_cccd(text: str) -> str:
    try:
        number = parse_cccd_number(text)
    except ChipError as e:
        return known(e.code, CHIP_REASONS)
    _ = (number.province_code, number.gender, number.birth_year, number.century)
    cccd_inconsistencies(number, date_of_birth=date(1993, 1, 5), gender=Gender.FEMALE)
    cccd_inconsistencies(number, birth_year=1960)
    return ACCEPTED


MRZ_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"


def _dg13_random() -> st.SearchStrategy[bytes]:
    encodable = [t for t in EDGE_TEXTS if "\udcff" not in t]  # DG13 text is UTF-8 on the chip
    text = st.one_of(st.text(max_size=30), st.sampled_from(encodable))
    value = st.one_of(text, st.lists(text, max_size=3).map(tuple))
    fields = st.dictionaries(st.integers(-3, 300), value, max_size=8)
    return st.builds(
        lambda f, n, w: dg13(f, nested_parents=n, wrapper=w), fields, st.booleans(), st.booleans()
    )


def _dg2_random() -> st.SearchStrategy[bytes]:
    image = st.one_of(
        st.just(TINY_JPEG), st.binary(max_size=64), st.sampled_from([b"\xff\xd8\xff", b"\xff\x4f\xff\x51"])
    )
    record = st.one_of(
        st.builds(
            lambda i, t, w, h: iso19794_5_record(i, image_type=t, width=w, height=h),
            image,
            st.integers(0, 255),
            st.integers(0, 65535),
            st.integers(0, 65535),
        ),
        st.binary(max_size=120),
    )
    return st.builds(lambda r, tag: dg2(record=r, block_tag=tag), record, st.sampled_from([0x5F2E, 0x7F2E]))


def _chip_der(
    *numbers: int, extra: Callable[[], st.SearchStrategy[bytes]] | None = None
) -> Callable[[], st.SearchStrategy[bytes]]:
    def inputs() -> st.SearchStrategy[bytes]:
        world = chip_world()
        samples = [g for n in numbers for g in world.groups(n)]
        base = der_inputs(samples, world.pool())
        return st.one_of(base, extra()) if extra is not None else base

    return inputs


def _sod_inputs() -> st.SearchStrategy[bytes]:
    world = chip_world()
    return der_inputs([c.sod for c in world.chips], world.pool())


def _dg1_random() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.text(MRZ_ALPHABET, min_size=88, max_size=92), mutated_text([td1_lines()], MRZ_ALPHABET)
    ).map(lambda t: dg1(t.encode("ascii", "replace").decode("ascii")))


CHIP_TARGETS: tuple[Target, ...] = (
    Target(
        "tlv",
        "chip.tlv (read_tlv, children, find_first, unwrap, ef_contents)",
        _chip_der(1, 2, 13, 14, 15),
        chip_parser(_parse_tlv),
        bytes,
    ),
    Target(
        "sod",
        "chip.sod.parse_sod (EF.SOD, CMS SignedData, LDS object)",
        _sod_inputs,
        chip_parser(_parse_sod),
        bytes,
    ),
    Target(
        "dg1", "chip.mrz.parse_dg1 (DG1)", _chip_der(1, extra=_dg1_random), chip_parser(_parse_dg1), bytes
    ),
    Target(
        "mrz",
        "chip.mrz.parse_td1 (TD1 MRZ text, check digits)",
        lambda: st.one_of(
            st.text(max_size=100),
            st.text(MRZ_ALPHABET, min_size=90, max_size=90),
            mutated_text([td1_lines()], MRZ_ALPHABET),
        ),
        chip_parser(_parse_mrz),
        to_text,
    ),
    Target(
        "dg13",
        "chip.dg13.parse_dg13 (Vietnamese personal data)",
        _chip_der(13, extra=_dg13_random),
        chip_parser(_parse_dg13),
        bytes,
    ),
    Target(
        "dg2",
        "chip.dg2.parse_dg2 (face image, ISO 19794-5)",
        _chip_der(2, extra=_dg2_random),
        chip_parser(_parse_dg2),
        bytes,
    ),
    Target(
        "dg14",
        "chip.active.parse_dg14_aa_algorithm (SecurityInfos)",
        _chip_der(14),
        chip_parser(parse_dg14_aa_algorithm),
        bytes,
    ),
    Target("dg15", "chip.active.parse_dg15 (AA public key)", _chip_der(15), chip_parser(parse_dg15), bytes),
    Target(
        "cccd",
        "chip.cccd.parse_cccd_number + cccd_inconsistencies",
        lambda: st.one_of(
            st.text(max_size=20),
            st.text("0123456789", min_size=10, max_size=14),
            mutated_text(["001093012345"]),
        ),
        run_cccd,
        to_text,
    ),
)
