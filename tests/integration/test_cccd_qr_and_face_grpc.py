"""The chip ID card's printed QR and a face match on VerifyCard/VerifyScan, over real gRPC, Kafka and
Redis: the QR finds its holder through the CCCD index and answers the card's verdict, unsigned; a
low face score on a typed card asks staff to look (F01), its FaceMatchRecorded event says what the
face was compared with, and the face projection in Redis counts the mismatch."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
import redis
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from tests.support import stack as shared
from tests.support.client import STAFF_ID
from tests.support.kafka_state import all_records
from verifier.readmodel.participation import face_facility_key, face_key

FACILITY = "40-001"
AN_SIN, AN_PID = "4016350101", "040090001234"  # the CCCD number: born 1990, male
BINH_SIN = "4016350102"  # the face-match patient, kept apart so the counters are this module's
AN_QR = f"{AN_PID}|186543210|Nguyễn Văn An|01051990|Nam|Số 12 Lê Lợi, Quận 1, TP. Hồ Chí Minh|15042021"


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[shared.Stack]:
    settings = stacks.settings(
        "cccdqr", topic_partitions=2, face_match_threshold=0.8, face_match_thresholds=f"{FACILITY}=0.9"
    )
    with shared.Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        stack.enrolled(
            f"GD440{AN_SIN}", full_name="Nguyễn Văn An", date_of_birth="1990-05-01", personal_id=AN_PID
        )
        stack.enrolled(f"GD440{BINH_SIN}", full_name="Lê Văn Bình", date_of_birth="1985-02-03")
        yield stack


def check_in_event(stack: shared.Stack, check_in_id: str) -> ev.CheckInVerified:
    for value in all_records(stack.settings, stack.settings.topic_checkins):
        event = ev.EventEnvelope.FromString(value).check_in_verified
        if event.check_in_id == check_in_id:
            return event
    raise AssertionError(f"no check-in event {check_in_id}")


def face_events(stack: shared.Stack) -> dict[str, ev.FaceMatchRecorded]:
    return {
        recorded.check_in_id: recorded
        for recorded in (
            ev.EventEnvelope.FromString(v).face_match_recorded
            for v in all_records(stack.settings, stack.settings.topic_face_matches)
        )
    }


def test_a_cccd_qr_check_in_answers_the_cards_verdict_unauthenticated(stack: shared.Stack) -> None:
    decision = stack.client.scan(AN_QR)

    assert (decision.verdict, decision.result_code) == (ev.VERDICT_ACCEPTED, "000"), decision.reasons
    assert decision.credential == ev.CREDENTIAL_KIND_CCCD_QR
    assert decision.assurance == ev.ASSURANCE_UNAUTHENTICATED
    assert decision.participant.social_insurance_number == AN_SIN
    event = check_in_event(stack, decision.check_in_id)
    # The CCCD number found a participant: the event names them by key, never by the number.
    assert (event.credential, event.presented_number) == (ev.CREDENTIAL_KIND_CCCD_QR, "")
    assert event.social_insurance_number == AN_SIN and AN_PID not in str(event)


def test_a_labelled_scan_is_read_and_an_unknown_number_is_050(stack: shared.Stack) -> None:
    labels = ("CCCD", "CMND", "Họ tên", "Ngày sinh", "Giới tính", "Địa chỉ", "Ngày cấp")
    labelled = "|".join(f"{k}: {v}" for k, v in zip(labels, AN_QR.split("|"), strict=True))
    assert stack.client.scan(labelled).participant.social_insurance_number == AN_SIN

    stranger = stack.client.scan(AN_QR.replace(AN_PID, "079090999999"))
    assert (stranger.verdict, stranger.result_code) == (ev.VERDICT_REJECTED, "050")
    assert stranger.credential == ev.CREDENTIAL_KIND_CCCD_QR

    misread = stack.client.scan(AN_QR.replace("|Nam|", "|Nữ|"))  # disagrees with its own number
    assert (misread.verdict, misread.result_code) == (ev.VERDICT_REJECTED, "Q01")


def test_a_low_face_score_on_verify_card_is_f01_and_the_face_projection_shows_it(stack: shared.Stack) -> None:
    match = api.FaceMatch(
        score=0.85, threshold=0.5, liveness="passed", matcher="arcface v2", compared_with="card_photo"
    )
    request = api.VerifyCardRequest(
        card_number=f"GD440{BINH_SIN}",
        facility_id=FACILITY,
        kiosk_id="kiosk-2",
        staff_id=STAFF_ID,
        face_match=match,
    )

    decision = stack.client.checkin.VerifyCard(request, timeout=15)

    # The kiosk's own 0.5 would pass it; the facility's 0.9 does not.
    assert (decision.verdict, decision.result_code) == (ev.VERDICT_NEEDS_REVIEW, "F01"), decision.reasons
    assert decision.participant.social_insurance_number == BINH_SIN
    recorded = face_events(stack)[decision.check_in_id]
    assert (recorded.compared_with, recorded.credential) == ("card_photo", ev.CREDENTIAL_KIND_CARD_NUMBER)
    assert (recorded.matched, recorded.social_insurance_number) == (False, BINH_SIN)
    assert recorded.applied_threshold == pytest.approx(0.9)

    client = redis.Redis.from_url(stack.settings.redis_url, decode_responses=True)
    try:
        wait_until(
            lambda: client.hget(face_key(BINH_SIN), "n") == "1", timeout=30, what="face match projected"
        )
        stats = client.hgetall(face_key(BINH_SIN))
        assert (stats.get("m"), stats["s"], stats["b8"], stats["ls"]) == (None, "1", "1", "0.8500")
        assert int(client.hget(face_facility_key(FACILITY), "n") or 0) >= 1
    finally:
        client.close()


def test_a_face_match_on_verify_scan_is_recorded_with_its_credential(stack: shared.Stack) -> None:
    match = api.FaceMatch(
        score=0.97, liveness="passed", matcher="arcface v2", compared_with="id_papers_photo"
    )
    request = api.VerifyScanRequest(
        scanned=AN_QR, facility_id=FACILITY, kiosk_id="kiosk-3", staff_id=STAFF_ID, face_match=match
    )
    decision = stack.client.checkin.VerifyScan(request, timeout=15)
    assert (decision.verdict, decision.result_code) == (ev.VERDICT_ACCEPTED, "000")
    recorded = face_events(stack)[decision.check_in_id]
    assert (recorded.credential, recorded.compared_with) == (ev.CREDENTIAL_KIND_CCCD_QR, "id_papers_photo")
    assert (recorded.matched, recorded.personal_id, recorded.social_insurance_number) == (True, "", AN_SIN)


@pytest.mark.parametrize(
    ("match", "field"),
    [
        (api.FaceMatch(score=0.9, liveness="passed", matcher="m"), "face_match.compared_with"),
        (api.FaceMatch(score=7, matcher="m", compared_with="card_photo"), "face_match.score"),
        (api.FaceMatch(score=0.9, matcher="m", compared_with="selfie"), "face_match.compared_with"),
    ],
)
def test_bad_face_fields_are_invalid_argument_naming_the_field(
    stack: shared.Stack, match: api.FaceMatch, field: str
) -> None:
    for call, request in (
        (
            stack.client.checkin.VerifyCard,
            api.VerifyCardRequest(
                card_number=f"GD440{BINH_SIN}",
                facility_id=FACILITY,
                kiosk_id="k",
                staff_id=STAFF_ID,
                face_match=match,
            ),
        ),
        (
            stack.client.checkin.VerifyScan,
            api.VerifyScanRequest(
                scanned=AN_QR, facility_id=FACILITY, kiosk_id="k", staff_id=STAFF_ID, face_match=match
            ),
        ),
    ):
        with pytest.raises(grpc.RpcError) as info:
            call(request, timeout=15)
        assert info.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert field in (info.value.details() or "")
