"""Chip citizen ID over real gRPC, Kafka and Redis: passive and active authentication, the link to
insurance, the face-match policy and its projection, and malformed reads that never crash."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import redis
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from tests.support import stack as shared
from tests.support.chip_fixtures import (
    CITIZEN,
    Chip,
    aa_sign_ec,
    make_chip,
    make_csca,
    make_ds,
    pem,
    with_group,
)
from tests.support.kafka_state import all_records
from verifier.readmodel.participation import face_facility_key, face_key

FACILITY = "40-001"
SIN = "4016350001"


class Stack(shared.Stack):
    def begin(self, kiosk: str = "kiosk-1") -> api.ChipChallenge:
        request = api.BeginChipCheckRequest(facility_id=FACILITY, kiosk_id=kiosk)
        return self.client.checkin.BeginChipCheck(request, timeout=15)

    def verify(
        self,
        chip: Chip,
        *,
        kiosk: str = "kiosk-1",
        session_id: str = "",
        active_auth_signature: bytes = b"",
        face_match: api.FaceMatch | None = None,
    ) -> api.CheckInDecision:
        request = api.VerifyChipRequest(
            facility_id=FACILITY,
            kiosk_id=kiosk,
            staff_id="staff-1",
            sod=chip.sod,
            data_groups=chip.data_groups,
            session_id=session_id,
            active_auth_signature=active_auth_signature,
            face_match=face_match,
        )
        return self.client.checkin.VerifyChip(request, timeout=30)


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[Stack]:
    settings = stacks.settings(
        "chip",
        topic_partitions=2,
        chip_trust_dir=str(stacks.chip_trust()),
        face_match_threshold=0.8,
        face_match_thresholds=f"{FACILITY}=0.9",
    )
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        stack.enrolled(f"GD440{SIN}", **CITIZEN.enrolment())
        yield stack


def event_of(stack: Stack, check_in_id: str) -> ev.CheckInVerified:
    for value in all_records(stack.settings, stack.settings.topic_checkins):
        env = ev.EventEnvelope.FromString(value)
        if env.check_in_verified.check_in_id == check_in_id:
            return env.check_in_verified
    raise AssertionError(f"no event for {check_in_id}")


def test_a_genuine_chip_with_active_authentication_is_accepted_and_linked_to_insurance(stack: Stack) -> None:
    chip = make_chip(aa="ec")
    session = stack.begin()
    assert len(session.challenge) == 8
    assert chip.aa_key is not None
    signature = aa_sign_ec(chip.aa_key, session.challenge)  # type: ignore[arg-type]

    decision = stack.verify(chip, session_id=session.session_id, active_auth_signature=signature)

    assert (decision.verdict, decision.result_code) == (ev.VERDICT_ACCEPTED, "000"), decision.reasons
    assert decision.credential == ev.CREDENTIAL_KIND_CHIP_ID
    assert decision.assurance == ev.ASSURANCE_CHIP_ACTIVE
    assert decision.participant.social_insurance_number == SIN
    checks = {c.name: c.status for c in decision.chip_checks}
    assert checks["sod_signature"] == checks["ds_chain"] == "pass"
    assert all(c.clause for c in decision.chip_checks)
    event = event_of(stack, decision.check_in_id)
    assert event.presented_number == "" and event.social_insurance_number == SIN  # the CCCD not kept
    assert "Kinh" not in str(event) and "Không" not in str(event)  # ethnicity, religion never recorded


def test_a_challenge_is_single_use_and_bound_to_its_kiosk(stack: Stack) -> None:
    chip = make_chip(aa="ec")
    assert chip.aa_key is not None
    session = stack.begin(kiosk="kiosk-1")
    signature = aa_sign_ec(chip.aa_key, session.challenge)  # type: ignore[arg-type]

    elsewhere = stack.verify(
        chip, kiosk="kiosk-2", session_id=session.session_id, active_auth_signature=signature
    )
    reused = stack.verify(chip, session_id=session.session_id, active_auth_signature=signature)

    assert (elsewhere.verdict, elsewhere.result_code) == (ev.VERDICT_REJECTED, "C11")
    assert (reused.verdict, reused.result_code) == (ev.VERDICT_REJECTED, "C11")  # taken by the first try


def test_a_tampered_data_group_and_a_malformed_sod_are_rejected_with_their_codes(stack: Stack) -> None:
    chip = make_chip()
    tampered = with_group(chip, 13, chip.data_groups[13].replace("Nguyễn".encode(), b"Nguyen" + b"\x00"))
    decision = stack.verify(tampered)
    assert (decision.verdict, decision.result_code) == (ev.VERDICT_REJECTED, "C07")
    assert decision.assurance == ev.ASSURANCE_UNAUTHENTICATED
    assert not decision.HasField("participant")  # a forged read proves nothing it says
    event = event_of(stack, decision.check_in_id)
    assert event.social_insurance_number == "" and event.card_number == ""  # nor lands on their record

    for sod in (b"\x77\x03\x30\x01", chip.sod[: len(chip.sod) // 2], b"\x00" * 100):
        broken = stack.verify(Chip(sod, chip.data_groups, chip.csca, chip.ds))
        assert (broken.verdict, broken.result_code) == (ev.VERDICT_REJECTED, "C01")
    assert stack.verifier.alive()


def test_oversized_or_impossible_input_is_invalid_argument(stack: Stack) -> None:
    chip = make_chip()
    for request in (
        api.VerifyChipRequest(
            facility_id=FACILITY, kiosk_id="k1", staff_id="staff-1", sod=b"", data_groups={}
        ),
        api.VerifyChipRequest(
            facility_id=FACILITY, kiosk_id="k1", staff_id="staff-1", sod=chip.sod, data_groups={17: b"x"}
        ),
        api.VerifyChipRequest(
            facility_id=FACILITY,
            kiosk_id="k1",
            staff_id="staff-1",
            sod=chip.sod,
            face_match=api.FaceMatch(score=7, matcher="m"),
        ),
    ):
        with pytest.raises(grpc.RpcError) as info:
            stack.client.checkin.VerifyChip(request, timeout=15)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT


def test_the_facility_threshold_decides_the_face_match_and_the_projection_counts_it(stack: Stack) -> None:
    chip = make_chip()

    def face(score: float, liveness: str = "passed") -> api.CheckInDecision:
        match = api.FaceMatch(score=score, threshold=0.5, liveness=liveness, matcher="arcface-r100 v2")
        return stack.verify(chip, face_match=match)

    matched = face(0.95)
    below_facility = face(0.85)  # the kiosk's own 0.5 would pass it; the facility's 0.9 does not
    not_alive = face(0.97, liveness="failed")

    assert matched.verdict == ev.VERDICT_ACCEPTED
    assert (below_facility.verdict, below_facility.result_code) == (ev.VERDICT_NEEDS_REVIEW, "F01")
    assert (not_alive.verdict, not_alive.result_code) == (ev.VERDICT_NEEDS_REVIEW, "F02")
    recorded = [
        ev.EventEnvelope.FromString(v).face_match_recorded
        for v in all_records(stack.settings, stack.settings.topic_face_matches)
    ]
    ours = {r.check_in_id: r for r in recorded}
    assert ours[below_facility.check_in_id].applied_threshold == pytest.approx(0.9)
    assert ours[below_facility.check_in_id].kiosk_threshold == pytest.approx(0.5)
    assert not ours[below_facility.check_in_id].matched
    # No compared_with on VerifyChip: the chip's own photo (DG2), and the event says so.
    assert (ours[matched.check_in_id].compared_with, ours[matched.check_in_id].credential) == (
        "chip_photo",
        ev.CREDENTIAL_KIND_CHIP_ID,
    )

    client = redis.Redis.from_url(stack.settings.redis_url, decode_responses=True)
    wait_until(lambda: client.hget(face_key(SIN), "n") == "3", timeout=30, what="face matches projected")
    stats = client.hgetall(face_key(SIN))
    assert (stats["m"], stats["s"], stats["b9"], stats["b8"]) == ("1", "2", "2", "1")
    assert client.hget(face_facility_key(FACILITY), "n") == "3"
    client.close()


def test_a_new_csca_is_trusted_after_sighup_without_a_restart(stack: Stack) -> None:
    other_csca = make_csca("csca-2031", common_name="CSCA Viet Nam 2031", serial=31)
    chip = make_chip(csca=other_csca, ds=make_ds(other_csca, "ds-2031", serial=0x2031))
    assert stack.verify(chip).result_code == "C04"  # DS not trusted: its CSCA is unknown

    (Path(stack.settings.chip_trust_dir) / "csca-2031.pem").write_bytes(pem(other_csca.cert))
    stack.verifier.process.send_signal(signal.SIGHUP)

    wait_until(lambda: stack.verify(chip).result_code == "000", timeout=30, what="CSCA reloaded")
    assert stack.verifier.alive()


def test_no_event_carries_what_the_chip_says_about_the_person(stack: Stack) -> None:
    """Data minimisation: the chip's name, origin, ethnicity, religion and photo stay at the kiosk and
    in the verifier's memory; events carry the 12-digit number, the SIN and the checks' outcomes."""
    chip = make_chip()
    decision = stack.verify(
        chip, face_match=api.FaceMatch(score=0.95, threshold=0.9, liveness="passed", matcher="m")
    )
    assert decision.verdict == ev.VERDICT_ACCEPTED
    records = [
        *all_records(stack.settings, stack.settings.topic_checkins),
        *all_records(stack.settings, stack.settings.topic_face_matches),
    ]
    assert any(decision.check_in_id.encode() in r for r in records)
    personal = [CITIZEN.hometown, CITIZEN.ethnicity, CITIZEN.religion, CITIZEN.mrz_name, "Văn An"]
    for record in records:
        for text in personal:
            assert text.encode() not in record, text
        assert chip.data_groups[2][-64:] not in record  # the face image
