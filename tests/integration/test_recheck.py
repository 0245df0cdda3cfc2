"""The re-check of provisional check-ins on real components: Kafka, Redis, a Faust worker process.

Provisional check-ins are written to the check-ins topic as the verifier writes them in degraded
mode; the worker must add exactly one CheckInFinalised per check-in, with the verdict the
participation record gives, also when Redis is down at first, and never again on a replay.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest
import redis
from bhyt.v1 import events_pb2 as ev
from kafka import KafkaProducer

from infra.local.procs import wait_until
from infra.local.redis_server import RedisServer
from projections.rebuild import digest, rebuild
from projections.recheck import FINALISED_NAMESPACE
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.people import AN
from tests.support.processes import ServiceProcess, start_worker
from verifier.events import envelopes as events
from verifier.readmodel.participation import participant_key, usage_key
from verifier.settings import Settings

AT = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam; AN's card is valid all 2026
REVOKED_SIN = "4016350001"


def publish(settings: Settings, topic: str, envelopes: Sequence[ev.EventEnvelope]) -> None:
    producer = KafkaProducer(bootstrap_servers=settings.kafka_bootstrap, acks="all")
    try:
        for env in envelopes:
            producer.send(topic, key=env.key.encode(), value=env.SerializeToString()).get(30)
    finally:
        producer.close()


def enroll(settings: Settings) -> None:
    """AN, covered; and a second person whose card was revoked."""
    revoked = replace(
        AN, social_insurance_number=REVOKED_SIN, card_number=f"GD440{REVOKED_SIN}", personal_id="040090005678"
    )
    publish(
        settings,
        settings.topic_participation,
        [
            events.participant_enrolled(AN, at=AT, producer="test"),
            events.participant_enrolled(revoked, at=AT, producer="test"),
            events.lifecycle(
                REVOKED_SIN,
                ev.CardRevoked(social_insurance_number=REVOKED_SIN, card_number=revoked.card_number),
                at=AT,
                producer="test",
            ),
        ],
    )


def provisional(
    *,
    key: str,
    presented: str,
    sin: str,
    credential: ev.CredentialKind = ev.CREDENTIAL_KIND_DIGITAL_TOKEN,
    facility: str = "40-001",
    check_registered_facility: bool = False,
) -> ev.EventEnvelope:
    """A check-in as the verifier records it when Redis cannot be read (degraded mode)."""
    env = events.envelope(key=key, at=AT, producer="test-verifier")
    env.check_in_verified.CopyFrom(
        ev.CheckInVerified(
            check_in_id=env.event_id,
            credential=credential,
            presented_number=presented,
            social_insurance_number=sin,
            facility_id=facility,
            kiosk_id="kiosk-1",
            verdict=ev.VERDICT_PROVISIONAL,
            result_code="P01",
            reason_codes=["P01"],
            assurance=ev.ASSURANCE_SIGNED_TOKEN,
            staff_id="staff-1",
            check_registered_facility=check_registered_facility,
        )
    )
    return env


def finalised(settings: Settings) -> list[ev.EventEnvelope]:
    on_log = map(ev.EventEnvelope.FromString, all_records(settings, settings.topic_checkins))
    return [e for e in on_log if e.WhichOneof("payload") == "check_in_finalised"]


def wait_for_finalised(settings: Settings, count: int) -> list[ev.EventEnvelope]:
    found: list[ev.EventEnvelope] = []

    def arrived() -> bool:
        found[:] = finalised(settings)
        return len(found) >= count

    wait_until(arrived, timeout=60, what=f"{count} CheckInFinalised event(s)")
    return found


def redis_has(settings: Settings, *keys: str) -> bool:
    client = redis.Redis.from_url(settings.redis_url)
    try:
        return bool(client.exists(*keys) == len(keys))
    finally:
        client.close()


def test_provisional_check_ins_are_finalised_once_and_a_replay_publishes_nothing_new(
    settings: Settings, log_dir: Path
) -> None:
    enroll(settings)
    token = provisional(
        key=AN.social_insurance_number, presented=AN.card_number, sin=AN.social_insurance_number
    )
    revoked = provisional(key=REVOKED_SIN, presented=f"GD440{REVOKED_SIN}", sin=REVOKED_SIN)
    chip = provisional(  # a chip whose holder could not be resolved: found by its CCCD number now
        key=f"card:{AN.personal_id}",
        presented=AN.personal_id,
        sin="",
        credential=ev.CREDENTIAL_KIND_CHIP_ID,
        check_registered_facility=True,  # at 40-001, registered at 40-C54: VSS 090
    )
    worker = start_worker(settings, "w1", log_dir)
    try:
        wait_until(
            lambda: redis_has(
                settings, participant_key(AN.social_insurance_number), participant_key(REVOKED_SIN)
            ),
            timeout=30,
            what="participants projected",
        )
        publish(settings, settings.topic_checkins, [token, revoked, chip])

        found = {e.check_in_finalised.check_in_id: e for e in wait_for_finalised(settings, 3)}

        assert set(found) == {token.event_id, revoked.event_id, chip.event_id}
        outcome = {
            i: (e.check_in_finalised.verdict, e.check_in_finalised.result_code) for i, e in found.items()
        }
        assert outcome == {
            token.event_id: (ev.VERDICT_ACCEPTED, "000"),
            revoked.event_id: (ev.VERDICT_REJECTED, "110"),
            chip.event_id: (ev.VERDICT_ACCEPTED, "090"),  # a data note, not a refusal
        }
        for check_in in (token, revoked, chip):
            final = found[check_in.event_id]
            assert final.key == check_in.key  # same partition, after the check-in
            assert final.event_id == str(uuid.uuid5(FINALISED_NAMESPACE, check_in.event_id))
            assert final.check_in_finalised.checked_in_at.ToDatetime(tzinfo=UTC) == AT
        assert found[chip.event_id].check_in_finalised.social_insurance_number == AN.social_insurance_number

        # Its own events come back to it on the topic: still one final verdict per check-in.
        wait_until(lambda: group_caught_up(settings), timeout=60, what="worker caught up")
        assert len(finalised(settings)) == 3
        assert usage_of(settings, AN.social_insurance_number) == ["1", "1"]  # checked in, accepted
        assert usage_of(settings, REVOKED_SIN) == ["1", None]

        # The same fact published again (a crash between the broker's ack and the re-check's record)
        # counts once: usage guards a final verdict per check-in id, not per offset.
        publish(settings, settings.topic_checkins, [found[token.event_id]])
        wait_until(lambda: group_caught_up(settings), timeout=60, what="the copy consumed")
        assert usage_of(settings, AN.social_insurance_number) == ["1", "1"]
    finally:
        worker.stop()

    # A clean rebuild of usage folds the log (copy included) to the same state and publishes nothing.
    live = digest(settings, ["usage"])
    rebuild(settings, "usage", progress=False)
    assert digest(settings, ["usage"]) == live
    assert len(finalised(settings)) == 4  # the three, and the copy above

    # A worker that reads the whole log again (a new consumer group, as after a rebuild that moved
    # the offsets back and died) re-checks nothing that already has its final verdict.
    replay_settings = settings.with_(projection_group=settings.projection_group + "-replay")
    replay = start_worker(replay_settings, "replay", log_dir)
    try:
        wait_until(lambda: group_caught_up(replay_settings), timeout=60, what="replay caught up")
        assert len(finalised(settings)) == 4
    finally:
        replay.stop()


def usage_of(settings: Settings, subject: str) -> list[str | None]:
    """(check-ins, accepted) of a subject in the usage projection."""
    client = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        return cast(list[str | None], client.hmget(usage_key(subject), ["n", "a"]))
    finally:
        client.close()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis of this test's own, to stop and start again without disturbing the session's."""
    with RedisServer(tmp_path / "redis") as server:
        yield server


def test_a_check_in_made_while_redis_is_down_is_finalised_once_redis_is_back(
    settings: Settings, log_dir: Path, own_redis: RedisServer
) -> None:
    settings = settings.with_(redis_url=own_redis.url)
    enroll(settings)
    worker: ServiceProcess = start_worker(settings, "w1", log_dir)
    try:
        wait_until(
            lambda: redis_has(settings, participant_key(AN.social_insurance_number)),
            timeout=30,
            what="participant projected",
        )
        own_redis.stop()
        check_in = provisional(
            key=AN.social_insurance_number, presented=AN.card_number, sin=AN.social_insurance_number
        )
        publish(settings, settings.topic_checkins, [check_in])

        wait_until(
            lambda: "re-check: unavailable" in worker.log_path.read_text(errors="replace"),
            timeout=30,
            what="the re-check meeting the outage",
        )
        assert worker.alive()
        assert finalised(settings) == []

        own_redis.start()  # same port and data directory: the projection is back

        (final,) = wait_for_finalised(settings, 1)
        assert final.check_in_finalised.check_in_id == check_in.event_id
        assert (final.check_in_finalised.verdict, final.check_in_finalised.result_code) == (
            ev.VERDICT_ACCEPTED,
            "000",
        )
        wait_until(lambda: group_caught_up(settings), timeout=60, what="worker caught up")
        assert len(finalised(settings)) == 1
        log = worker.log_path.read_text(errors="replace")
        assert log.count("re-check: unavailable") == 1  # once per outage, not per attempt
        assert "re-check: back after" in log
    finally:
        worker.stop()
