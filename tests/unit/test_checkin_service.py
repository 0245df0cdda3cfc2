"""Every check-in flow at the service layer, on the in-memory fakes of the ports: typed numbers,
CCCD numbers (and a stale index), digital card tokens (replays, degraded mode), the legacy QR and
the chip ID with a face match. Fast, and each test says what goes on the log, not just the answer.

The same flows run over gRPC against real Kafka and Redis in tests/integration; the fakes are held
to the real adapters' contract in tests/contracts.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from tests.support.chip_fixtures import CITIZEN, make_chip, pem, with_group
from tests.support.fakes import FakeChallengeStore, FakeEventLog, FakeReadModel, FakeReplayGuard
from tests.support.people import AN
from tests.support.tokens import key_files
from verifier.chip import CscaTrustStore, TrustSources
from verifier.domain.credentials import Assurance, Credential
from verifier.domain.face_match import FaceMatchReport, FacePolicy
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.identity import IdentityClaim
from verifier.domain.participation import Participation, Status
from verifier.domain.station import Station
from verifier.domain.verdicts import Verdict
from verifier.errors import EventLogUnavailable, ReadModelUnavailable
from verifier.events.facts import CheckInVerified, FaceMatchRecorded
from verifier.service.checkin import (
    UNREADABLE_QR_SUBJECT,
    UNVERIFIED_TOKEN_SUBJECT,
    CheckInService,
    VerifyCard,
    VerifyScan,
)
from verifier.service.chip import ChipCheckIn, VerifyChip
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority, TokenPolicy

NOW = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam, within AN's card and the chip PKI
FACILITY = "40-001"
KIOSK = Station(FACILITY, "kiosk-1", "NV042")
OTHER_KIOSK = Station("79-001", "kiosk-9", "NV007")
FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())


class World:
    """The service over fakes, with a clock that tests move."""

    def __init__(self, keys_dir: Path) -> None:
        self.now = NOW
        self.log = FakeEventLog()
        self.read_model = FakeReadModel()
        self.replays = FakeReplayGuard()
        self.tokens = TokenAuthority(TokenPolicy(), keys_dir)
        self.tokens.reload()
        self.service = CheckInService(
            read_model=self.read_model,
            event_log=self.log,
            facilities=FACILITIES,
            clock=lambda: self.now,
            tokens=self.tokens,
            replays=self.replays,
        )

    def check_ins(self) -> list[CheckInVerified]:
        return [f for f in self.log.appended if isinstance(f, CheckInVerified)]


@pytest.fixture
def world(tmp_path: Path) -> World:
    for path in key_files():
        shutil.copy(path, tmp_path / path.name)
    w = World(tmp_path)
    w.read_model.put(AN)
    return w


async def typed(world: World, number: str = AN.card_number, **kw: object) -> CheckInVerified:
    result = await world.service.verify_card(VerifyCard(KIOSK, card_number=number, **kw))  # type: ignore[arg-type]
    [fact] = world.check_ins()
    assert fact.check_in_id == result.check_in_id and fact.decision == result.decision
    return fact


# ---- typed numbers and CCCD numbers --------------------------------------------------------------


async def test_a_valid_card_is_accepted_and_recorded_under_its_holder(world: World) -> None:
    fact = await typed(world)
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.ACCEPTED, "000")
    assert (fact.key, fact.credential, fact.assurance) == (
        AN.social_insurance_number,
        Credential.CARD_NUMBER,
        Assurance.UNAUTHENTICATED,
    )
    assert fact.station == KIOSK and fact.at == NOW


async def test_an_unknown_card_is_050_under_its_social_insurance_number(world: World) -> None:
    fact = await typed(world, "GD4404099999999")
    assert (fact.decision.result_code, fact.key) == ("050", "4099999999")


async def test_a_malformed_number_is_its_vss_code_under_the_number_presented(world: World) -> None:
    fact = await typed(world, "GD4994016354956")
    assert fact.decision.verdict is Verdict.REJECTED
    assert fact.key == "card:GD4994016354956" and fact.decision.result_code.startswith("05")


async def test_the_identity_claim_and_registered_facility_are_judged(world: World) -> None:
    fact = await typed(world, claim=IdentityClaim(full_name="Trần Văn An"), check_registered_facility=True)
    assert fact.decision.reasons == ("060", "090") and fact.check_registered_facility


async def test_a_cccd_number_finds_its_holder(world: World) -> None:
    await world.service.verify_card(VerifyCard(KIOSK, personal_id=AN.personal_id))
    [fact] = world.check_ins()
    assert (fact.decision.result_code, fact.key, fact.presented_number) == (
        "000",
        AN.social_insurance_number,
        AN.personal_id,
    )


async def test_a_stale_cccd_index_entry_names_nobody(world: World) -> None:
    world.read_model.index["040090009999"] = AN.social_insurance_number  # AN no longer holds it
    await world.service.verify_card(VerifyCard(KIOSK, personal_id="040090009999"))
    [fact] = world.check_ins()
    assert (fact.decision.result_code, fact.decision.participant, fact.key) == (
        "050",
        None,
        "card:040090009999",
    )


async def test_without_the_read_model_a_typed_number_has_no_verdict_and_nothing_is_recorded(
    world: World,
) -> None:
    world.read_model.down = True
    with pytest.raises(ReadModelUnavailable):
        await world.service.verify_card(VerifyCard(KIOSK, card_number=AN.card_number))
    assert world.log.appended == []


async def test_without_the_event_log_there_is_no_answer(world: World) -> None:
    world.log.down = True
    with pytest.raises(EventLogUnavailable):
        await world.service.verify_card(VerifyCard(KIOSK, card_number=AN.card_number))


# ---- digital card tokens ---------------------------------------------------------------------------


async def scan(world: World, text: str, station: Station = KIOSK) -> CheckInVerified:
    result = await world.service.verify_scan(VerifyScan(text, station))
    fact = world.check_ins()[-1]
    assert fact.check_in_id == result.check_in_id and fact.credential is result.credential
    return fact


async def issued(world: World) -> str:
    return (await world.service.issue_card_token(card_number=AN.card_number)).text


async def test_a_genuine_token_is_accepted_as_signed(world: World) -> None:
    fact = await scan(world, await issued(world))
    assert (fact.decision.verdict, fact.assurance, fact.key) == (
        Verdict.ACCEPTED,
        Assurance.SIGNED_TOKEN,
        AN.social_insurance_number,
    )
    assert fact.token is not None and fact.token.signature_valid and fact.first_presentation is None


async def test_a_token_shown_again_at_the_same_kiosk_is_fine_but_elsewhere_is_a_replay(world: World) -> None:
    token = await issued(world)
    first = await scan(world, token)
    again = await scan(world, token)
    elsewhere = await scan(world, token, OTHER_KIOSK)
    assert again.decision.verdict is Verdict.ACCEPTED
    assert (elsewhere.decision.verdict, elsewhere.decision.result_code) == (Verdict.REJECTED, "T06")
    assert elsewhere.first_presentation is not None
    assert elsewhere.first_presentation.check_in_id == first.check_in_id


async def test_a_replay_check_not_made_is_provisional_and_never_hides_a_rejection(world: World) -> None:
    token = await issued(world)
    world.replays.down = True
    fact = await scan(world, token)
    assert (fact.decision.verdict, fact.decision.reasons) == (Verdict.PROVISIONAL, ("P02",))
    world.read_model.put(replace(AN, status=Status.REVOKED))
    revoked = await scan(world, token)
    assert revoked.decision.verdict is Verdict.REJECTED and revoked.decision.reasons == ("110", "P02")


async def test_without_the_read_model_a_genuine_token_is_provisional_and_names_its_holder(
    world: World,
) -> None:
    token = await issued(world)
    world.read_model.down = True
    fact = await scan(world, token)
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.PROVISIONAL, "P01")
    assert fact.social_insurance_number == AN.social_insurance_number == fact.key
    envelope = world.log.envelopes()[-1].check_in_verified
    assert envelope.social_insurance_number == AN.social_insurance_number


async def test_a_token_of_a_revoked_card_is_rejected_with_the_card_code(world: World) -> None:
    token = await issued(world)
    world.read_model.put(replace(AN, status=Status.REVOKED))
    fact = await scan(world, token)
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.REJECTED, "110")


async def test_an_expired_token_is_rejected_first_for_itself(world: World) -> None:
    token = await issued(world)
    world.now = NOW + timedelta(hours=1)
    fact = await scan(world, token)
    assert fact.decision.result_code == "T04" and fact.key == AN.social_insurance_number


async def test_a_forged_token_names_nobody(world: World) -> None:
    token = await issued(world)
    forged = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    fact = await scan(world, forged)
    assert fact.decision.verdict is Verdict.REJECTED
    assert (fact.key, fact.presented_number, fact.decision.participant) == (
        UNVERIFIED_TOKEN_SUBJECT,
        "",
        None,
    )


async def test_text_that_is_no_token_is_refused_as_a_token(world: World) -> None:
    fact = await scan(world, "hello")
    assert (fact.decision.result_code, fact.key) == ("T08", UNVERIFIED_TOKEN_SUBJECT)


# ---- the legacy QR -------------------------------------------------------------------------------


def legacy_qr(card: str = AN.card_number, name: str = AN.full_name) -> str:
    fields = [card, name.encode().hex(), "01/05/1990", "1", "-", "40 - C54", "01/01/2026", "31/12/2026",
              "15/12/2025", "40054016354956", "-", "4", "01/01/2028", "1f2fa22c47f0bd18-7102"]  # fmt: skip
    return "|".join(fields) + "|$"


async def test_a_legacy_qr_is_judged_with_its_printed_identity(world: World) -> None:
    fact = await scan(world, legacy_qr())
    assert (fact.credential, fact.decision.result_code, fact.key) == (
        Credential.LEGACY_QR,
        "000",
        AN.social_insurance_number,
    )
    other_name = await scan(world, legacy_qr(name="Lê Thị Hoa"))
    assert other_name.decision.reasons == ("060",)


async def test_an_unreadable_legacy_qr_is_q01_under_one_subject(world: World) -> None:
    fact = await scan(world, "GD4404016354956|zz|$")
    assert (fact.decision.result_code, fact.key) == ("Q01", UNREADABLE_QR_SUBJECT)


async def test_without_the_read_model_a_legacy_qr_has_no_verdict(world: World) -> None:
    world.read_model.down = True
    with pytest.raises(ReadModelUnavailable):
        await world.service.verify_scan(VerifyScan(legacy_qr(), KIOSK))
    assert world.log.appended == []


# ---- the chip ID ---------------------------------------------------------------------------------

HOLDER = Participation(
    social_insurance_number="4012345678",
    card_number="GD4404012345678",
    full_name=CITIZEN.full_name,
    date_of_birth=CITIZEN.date_of_birth,
    gender=AN.gender,
    registered_facility="40-C54",
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
    personal_id=CITIZEN.number,
)


@pytest.fixture
def chip_world(world: World, tmp_path: Path) -> tuple[World, ChipCheckIn]:
    trust = tmp_path / "csca"
    trust.mkdir()
    (trust / "csca.pem").write_bytes(pem(make_chip().csca.cert))
    world.read_model.put(HOLDER)
    chips = ChipCheckIn(
        read_model=world.read_model,
        event_log=world.log,
        facilities=FACILITIES,
        challenges=FakeChallengeStore(),
        trust=CscaTrustStore(TrustSources(directories=(trust,))),
        face_policy=FacePolicy(0.8),
        clock=lambda: world.now,
    )
    return world, chips


def face(score: float) -> FaceMatchReport:
    return FaceMatchReport(score=score, kiosk_threshold=0.8, liveness="passed", matcher="test")


async def test_a_genuine_chip_finds_its_holder_through_the_cccd_number(
    chip_world: tuple[World, ChipCheckIn],
) -> None:
    world, chips = chip_world
    chip = make_chip()
    result = await chips.verify(VerifyChip(KIOSK, chip.sod, chip.data_groups))
    [fact] = world.check_ins()
    assert (fact.decision.result_code, fact.key, fact.presented_number) == (
        "000",
        HOLDER.social_insurance_number,
        CITIZEN.number,
    )
    assert (fact.credential, fact.assurance) == (Credential.CHIP_ID, Assurance.CHIP_PASSIVE)
    assert result.chip_checks and fact.chip_failed_checks == []


async def test_a_face_mismatch_is_recorded_before_its_check_in_under_the_same_key(
    chip_world: tuple[World, ChipCheckIn],
) -> None:
    world, chips = chip_world
    chip = make_chip()
    result = await chips.verify(VerifyChip(KIOSK, chip.sod, chip.data_groups, face_match=face(0.3)))
    face_fact, check_in = world.log.appended
    assert isinstance(face_fact, FaceMatchRecorded) and isinstance(check_in, CheckInVerified)
    assert face_fact.check_in_id == check_in.check_in_id == result.check_in_id
    assert face_fact.key == check_in.key == HOLDER.social_insurance_number
    assert face_fact.social_insurance_number == HOLDER.social_insurance_number
    assert not face_fact.judgement.matched and check_in.decision.verdict is Verdict.NEEDS_REVIEW


async def test_a_tampered_chip_names_nobody_not_even_in_its_face_match(
    chip_world: tuple[World, ChipCheckIn],
) -> None:
    world, chips = chip_world
    chip = with_group(make_chip(), 13, make_chip().data_groups[13] + b"\x00")
    await chips.verify(VerifyChip(KIOSK, chip.sod, chip.data_groups, face_match=face(0.3)))
    face_fact, check_in = world.log.appended
    assert isinstance(face_fact, FaceMatchRecorded) and isinstance(check_in, CheckInVerified)
    assert check_in.decision.verdict is Verdict.REJECTED and check_in.decision.participant is None
    assert (
        check_in.key == face_fact.key == f"card:{CITIZEN.number}" and face_fact.social_insurance_number == ""
    )
    assert check_in.chip_failed_checks and check_in.assurance is Assurance.UNAUTHENTICATED


async def test_without_the_read_model_a_genuine_chip_is_provisional(
    chip_world: tuple[World, ChipCheckIn],
) -> None:
    world, chips = chip_world
    world.read_model.down = True
    chip = make_chip()
    await chips.verify(VerifyChip(KIOSK, chip.sod, chip.data_groups))
    [fact] = world.check_ins()
    assert (fact.decision.verdict, fact.decision.result_code) == (Verdict.PROVISIONAL, "P01")
    assert fact.key == f"card:{CITIZEN.number}" and fact.social_insurance_number == ""


async def test_a_chip_whose_cccd_number_nobody_holds_is_050(chip_world: tuple[World, ChipCheckIn]) -> None:
    world, chips = chip_world
    del world.read_model.index[CITIZEN.number]
    chip = make_chip()
    await chips.verify(VerifyChip(KIOSK, chip.sod, chip.data_groups))
    [fact] = world.check_ins()
    assert (fact.decision.result_code, fact.key) == ("050", f"card:{CITIZEN.number}")


async def test_a_provisional_verdict_and_its_token_check_are_counted(world: World) -> None:
    """What the degraded-mode alert and the dashboard read (verifier/metrics.py): one provisional
    verdict per provisional check-in recorded, one timed token check per scan."""

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    token = await issued(world)
    provisional = sample("bhyt_provisional_verdicts_total", credential="digital_token")
    checked = sample("bhyt_token_verify_duration_seconds_count")
    world.read_model.down = True
    fact = await scan(world, token)
    assert fact.decision.verdict is Verdict.PROVISIONAL
    assert sample("bhyt_provisional_verdicts_total", credential="digital_token") == provisional + 1
    assert sample("bhyt_token_verify_duration_seconds_count") == checked + 1
