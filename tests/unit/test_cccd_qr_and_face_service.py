"""The chip ID card's printed QR as a check-in, and a face match on the typed and scanned paths, at
the service layer on the in-memory fakes of the ports. Each test says what goes on the log.

The chip path's own face tests are in test_checkin_service.py; the same flows over gRPC against
real Kafka and Redis are in tests/integration/test_cccd_qr_and_face_grpc.py.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bhyt.v1 import events_pb2 as ev

from tests.support.fakes import FakeEventLog, FakeReadModel, FakeReplayGuard
from tests.support.people import AN
from tests.support.tokens import key_files
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceMatchReport, FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.station import Station
from verifier.domain.verdicts import Verdict
from verifier.errors import BadRequest, ReadModelUnavailable
from verifier.events.facts import CheckInVerified, FaceMatchRecorded
from verifier.service.checkin import UNREADABLE_QR_SUBJECT, CheckInService, VerifyCard, VerifyScan
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority, TokenPolicy

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # within AN's card
FACILITY = "40-001"
KIOSK = Station(FACILITY, "kiosk-1", "NV042")
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
STRICT_FACILITY_THRESHOLD = 0.95


def cccd_qr(
    number: str = AN.personal_id, name: str = AN.full_name, born: str = "01051990", gender: str = "Nam"
) -> str:
    """AN's chip ID card QR (his CCCD number encodes 1990, male), fields as the card prints them."""
    return f"{number}|186543210|{name}|{born}|{gender}|Số 12 Lê Lợi, Quận 1, TP. Hồ Chí Minh|15042021"


def face(score: float, *, compared_with: str = "card_photo", liveness: str = "passed") -> FaceMatchReport:
    return FaceMatchReport(score, 0.5, liveness, "matcher-1.0", compared_with)


class World:
    def __init__(self, keys_dir: Path) -> None:
        self.log = FakeEventLog()
        self.read_model = FakeReadModel()
        tokens = TokenAuthority(TokenPolicy(), keys_dir)
        tokens.reload()
        self.service = CheckInService(
            read_model=self.read_model,
            event_log=self.log,
            facilities=FACILITIES,
            clock=lambda: NOW,
            tokens=tokens,
            replays=FakeReplayGuard(),
            face_policy=FacePolicy(0.8, {FACILITY: STRICT_FACILITY_THRESHOLD}),
        )

    async def scan(self, scanned: str, **kw: object) -> CheckInVerified:
        result = await self.service.verify_scan(VerifyScan(scanned, KIOSK, **kw))  # type: ignore[arg-type]
        fact = self.log.appended[-1]
        assert isinstance(fact, CheckInVerified) and fact.check_in_id == result.check_in_id
        assert (result.credential, result.assurance) == (fact.credential, fact.assurance)
        return fact


@pytest.fixture
def world(tmp_path: Path) -> World:
    for path in key_files():
        shutil.copy(path, tmp_path / path.name)
    w = World(tmp_path)
    w.read_model.put(AN)
    return w


# ---- the chip ID card's QR -----------------------------------------------------------------------


async def test_a_cccd_qr_finds_its_holder_and_answers_the_cards_verdict_unauthenticated(world: World) -> None:
    fact = await world.scan(cccd_qr())
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.ACCEPTED, "000")
    assert fact.decision.participant == AN
    assert (fact.credential, fact.assurance) == (Credential.CCCD_QR, Assurance.UNAUTHENTICATED)
    assert (fact.key, fact.presented_number) == (AN.social_insurance_number, AN.personal_id)
    assert [type(f) for f in world.log.appended] == [CheckInVerified]


async def test_a_label_prefixed_cccd_qr_is_the_same_check_in(world: World) -> None:
    labelled = "|".join(
        f"{label}:{value}"
        for label, value in zip(
            ("CCCD", "CMND", "Họ tên", "Ngày sinh", "Giới tính", "Địa chỉ", "Ngày cấp"),
            cccd_qr().split("|"),
            strict=True,
        )
    )
    fact = await world.scan(labelled)
    assert (fact.credential, fact.decision.result_code, fact.key) == (
        Credential.CCCD_QR,
        "000",
        AN.social_insurance_number,
    )


async def test_a_cccd_number_nobody_holds_is_050_like_a_typed_one(world: World) -> None:
    stranger = "079090999999"  # also 1990, male: a well-formed QR
    fact = await world.scan(cccd_qr(number=stranger))
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.REJECTED, "050")
    assert (fact.key, fact.presented_number, fact.credential) == (
        f"card:{stranger}",
        stranger,
        Credential.CCCD_QR,
    )


async def test_a_stale_index_entry_is_050(world: World) -> None:
    world.read_model.index["079090999999"] = AN.social_insurance_number  # AN no longer holds it
    fact = await world.scan(cccd_qr(number="079090999999"))
    assert fact.decision.result_code == "050" and fact.decision.participant is None


@pytest.mark.parametrize(
    ("qr", "code"),
    [
        (cccd_qr(name="Trần Văn Bình"), "060"),
        (cccd_qr(born="02051990"), "070"),
    ],
)
async def test_the_qrs_identity_is_checked_against_the_record(world: World, qr: str, code: str) -> None:
    fact = await world.scan(qr)
    assert code in fact.decision.reasons and fact.decision.participant == AN


async def test_a_malformed_cccd_qr_is_q01_under_the_unreadable_subject(world: World) -> None:
    fact = await world.scan(cccd_qr(gender="X"))
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.REJECTED, "Q01")
    assert (fact.key, fact.credential, fact.presented_number) == (
        UNREADABLE_QR_SUBJECT,
        Credential.CCCD_QR,
        "",
    )
    assert "field 5 (gender)" in fact.decision.detail


async def test_a_cccd_qr_that_disagrees_with_its_own_number_is_q01(world: World) -> None:
    fact = await world.scan(cccd_qr(gender="Nữ"))  # the number says male
    assert fact.decision.result_code == "Q01" and "gender male" in fact.decision.detail


async def test_a_bhyt_qr_still_goes_to_its_own_parser(world: World) -> None:
    bhyt = "|".join([AN.card_number, AN.full_name.encode().hex(), "01/05/1990", "1", "-", "40 - C54",
                     "01/01/2026", "31/12/2026", "15/12/2025"]) + "|$"  # fmt: skip
    fact = await world.scan(bhyt)
    assert (fact.credential, fact.decision.result_code) == (Credential.LEGACY_QR, "000")


async def test_without_the_read_model_a_cccd_qr_has_no_verdict(world: World) -> None:
    world.read_model.down = True
    with pytest.raises(ReadModelUnavailable):
        await world.service.verify_scan(VerifyScan(cccd_qr(), KIOSK))
    assert world.log.appended == []


# ---- a face match on the typed and scanned paths -------------------------------------------------


async def test_a_low_face_score_on_a_typed_card_is_f01_recorded_before_the_check_in(world: World) -> None:
    result = await world.service.verify_card(
        VerifyCard(KIOSK, card_number=AN.card_number, face_match=face(0.3))
    )
    face_fact, check_in = world.log.appended
    assert isinstance(face_fact, FaceMatchRecorded) and isinstance(check_in, CheckInVerified)
    assert (result.decision.verdict, result.decision.result_code) == (Verdict.NEEDS_REVIEW, "F01")
    assert face_fact.check_in_id == check_in.check_in_id == result.check_in_id
    assert face_fact.key == check_in.key == AN.social_insurance_number
    assert (face_fact.credential, face_fact.report.compared_with) == (Credential.CARD_NUMBER, "card_photo")
    assert face_fact.personal_id == ""  # a card number was typed, not a CCCD number
    [envelope, _] = world.log.envelopes()
    recorded = envelope.face_match_recorded
    assert (recorded.compared_with, recorded.credential) == ("card_photo", ev.CREDENTIAL_KIND_CARD_NUMBER)
    assert (recorded.matched, recorded.social_insurance_number) == (False, AN.social_insurance_number)


async def test_the_facilitys_threshold_decides_not_the_kiosks(world: World) -> None:
    result = await world.service.verify_card(
        VerifyCard(KIOSK, card_number=AN.card_number, face_match=face(0.9))  # kiosk's bar: 0.5
    )
    face_fact = world.log.appended[0]
    assert isinstance(face_fact, FaceMatchRecorded)
    assert face_fact.judgement.applied_threshold == STRICT_FACILITY_THRESHOLD
    assert result.decision.reasons == ("F01",)


async def test_a_matching_face_keeps_the_cards_verdict_and_is_still_recorded(world: World) -> None:
    result = await world.service.verify_card(
        VerifyCard(KIOSK, personal_id=AN.personal_id, face_match=face(0.99, compared_with="vssid_photo"))
    )
    face_fact, _ = world.log.appended
    assert isinstance(face_fact, FaceMatchRecorded) and face_fact.judgement.matched
    assert (face_fact.personal_id, face_fact.report.compared_with) == (AN.personal_id, "vssid_photo")
    assert (result.decision.verdict, result.decision.result_code) == (Verdict.ACCEPTED, "000")


async def test_a_failed_liveness_on_a_cccd_qr_scan_is_f02(world: World) -> None:
    fact = await world.scan(
        cccd_qr(), face_match=face(0.99, compared_with="id_papers_photo", liveness="failed")
    )
    face_fact = world.log.appended[0]
    assert isinstance(face_fact, FaceMatchRecorded)
    assert (face_fact.credential, face_fact.personal_id, face_fact.key) == (
        Credential.CCCD_QR,
        AN.personal_id,
        AN.social_insurance_number,
    )
    assert (fact.decision.verdict, fact.decision.reasons) == (Verdict.NEEDS_REVIEW, ("F02",))


async def test_a_face_mismatch_does_not_hide_a_rejected_card(world: World) -> None:
    fact = await world.scan(cccd_qr(number="079090999999"), face_match=face(0.1))
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.REJECTED, "050")
    assert "F01" in fact.decision.reasons
    face_fact = world.log.appended[0]
    assert isinstance(face_fact, FaceMatchRecorded) and face_fact.key == "card:079090999999"


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (face(1.5), "face_match.score"),
        (face(float("nan")), "face_match.score"),
        (face(0.9, liveness="maybe"), "face_match.liveness"),
        (replace(face(0.9), matcher=""), "face_match.matcher"),
        (face(0.9, compared_with="selfie"), "face_match.compared_with"),
    ],
)
async def test_bad_face_fields_are_bad_requests_naming_the_field_and_record_nothing(
    world: World, report: FaceMatchReport, field: str
) -> None:
    with pytest.raises(BadRequest, match=field):
        await world.service.verify_card(VerifyCard(KIOSK, card_number=AN.card_number, face_match=report))
    with pytest.raises(BadRequest, match=field):
        await world.service.verify_scan(VerifyScan(cccd_qr(), KIOSK, face_match=report))
    assert world.log.appended == []
