"""Targets for the trust sources: master lists, CRLs, CSCA certificates and the trust store built
from them."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import strategies as st

from bench.fuzz.chip import chip_parser, chip_world
from bench.fuzz.der import broken, der_inputs
from bench.fuzz.harness import ACCEPTED, Target, Unexpected, known, to_utf8
from bench.fuzz.mutations import RANDOMS, mutated_text
from tests.support.chip_fixtures import NOW as CHIP_NOW
from verifier.chip import build_trust_anchors
from verifier.chip.certs import CertificateSummary, load_certificates
from verifier.chip.cms import parse_signed_data
from verifier.chip.codes import CHIP_REASONS, TRUST_SOURCE_MALFORMED, TRUST_SOURCE_UNVERIFIED
from verifier.chip.crl import crl_signer, parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.masterlist import CSCA_MASTER_LIST_OID, read_master_list


def _parse_certificates(data: bytes) -> None:
    for cert in load_certificates(data, code=TRUST_SOURCE_MALFORMED):
        CertificateSummary.of(cert).to_dict()


def run_master_list(data: bytes) -> str:
    world = chip_world()
    try:
        report = read_master_list(data, world.cscas)
    except ChipError as e:
        return known(e.code, CHIP_REASONS)
    if not report.accepted:
        return TRUST_SOURCE_UNVERIFIED
    signed = parse_signed_data(
        data, expected_content_type=CSCA_MASTER_LIST_OID, code=TRUST_SOURCE_MALFORMED, what="ml"
    )
    if signed.content != world.master_list_content:
        raise Unexpected("forgery: a master list with changed content is accepted")
    return ACCEPTED


def run_crl(data: bytes) -> str:
    """A CRL is believed once its CSCA's signature verifies: never with a changed body."""
    world = chip_world()
    try:
        revocations = parse_crl(data)
    except ChipError as e:
        return known(e.code, CHIP_REASONS)
    _ = (revocations.is_current(CHIP_NOW), revocations.revocation_date(1))
    if crl_signer(revocations, list(world.cscas)) is None:
        return TRUST_SOURCE_UNVERIFIED
    if revocations.signed["tbs_cert_list"].dump() != world.crl_tbs:
        raise Unexpected("forgery: a CRL with a changed body is believed")
    return ACCEPTED


@st.composite
def trust_sources(draw: st.DrawFn) -> dict[str, bytes]:
    world = chip_world()
    rng, pool = draw(RANDOMS), world.pool()
    sources = {"certificate": world.chips[0].csca_der, "master_list": world.master_list, "crl": world.crl}
    for name in rng.sample(sorted(sources), rng.randint(1, 3)):
        sources[name] = broken(rng, sources[name], pool)
    return sources


def run_trust_store(sources: Mapping[str, bytes]) -> str:
    """The trust store build never raises: each bad source is a listed problem; no forgery is believed."""
    world = chip_world()
    anchors = build_trust_anchors(
        certificates=[("certificate", sources["certificate"])],
        master_lists=[("master_list", sources["master_list"])],
        crls=[("crl", sources["crl"])],
    )
    for problem in anchors.problems:
        known(problem.code, CHIP_REASONS)
        problem.to_dict()
    failed = {p.source for p in anchors.problems}
    if "crl" not in failed and anchors.crls[0].signed["tbs_cert_list"].dump() != world.crl_tbs:
        raise Unexpected("forgery: a CRL with a changed body is believed by the trust store")
    if "master_list" not in failed and run_master_list(sources["master_list"]) != ACCEPTED:
        raise Unexpected("forgery: the trust store imports a master list that does not verify")
    return anchors.problems[0].code if anchors.problems else ACCEPTED


TRUST_TARGETS: tuple[Target, ...] = (
    Target(
        "master-list",
        "chip.masterlist.read_master_list (CMS, CSCA set)",
        lambda: der_inputs([chip_world().master_list], chip_world().pool()),
        run_master_list,
        bytes,
    ),
    Target(
        "crl",
        "chip.crl.parse_crl + crl_signer",
        lambda: der_inputs([chip_world().crl], chip_world().pool()),
        run_crl,
        bytes,
    ),
    Target(
        "certificate",
        "chip.certs.load_certificates (CSCA files, PEM or DER)",
        lambda: st.one_of(
            der_inputs([chip_world().chips[0].csca_der, chip_world().chips[2].ds_der], chip_world().pool()),
            mutated_text([chip_world().csca_pem.decode()]).map(to_utf8),
        ),
        chip_parser(_parse_certificates),
        bytes,
    ),
    Target(
        "trust-store",
        "chip.trust.build_trust_anchors (certificates, master lists, CRLs)",
        trust_sources,
        run_trust_store,
    ),
)
