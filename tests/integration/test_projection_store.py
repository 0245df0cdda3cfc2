"""The idempotent apply against a real Redis and a real Redis Cluster: a redelivered batch changes
nothing, and a batch of many people (many hash slots) is written whole."""

from __future__ import annotations

from typing import cast

from projections.store import DEAD_LETTERS_KEY, DeadLetter, Mutation, Position, ProjectionStore
from verifier.adapters.redis_client import RedisClient, connect


async def dump(client: RedisClient) -> dict[str, object]:
    """Every key with its value, type-aware: a digest of the whole read model."""
    state: dict[str, object] = {}
    keys = [cast(str, k) async for k in client.scan_iter(match="*")]  # every master of a cluster
    for key in sorted(keys):
        kind = await client.type(key)
        if kind == "hash":
            state[key] = await client.hgetall(key)
        elif kind == "list":
            state[key] = await client.lrange(key, 0, -1)
        else:
            state[key] = await client.get(key)
    return state


def counting(subject: str) -> Mutation:
    key = f"u:{{{subject}}}"
    return Mutation(
        guard_key=key,
        commands=(("HINCRBY", key, "n", "1"), ("LPUSH", key + ":r", "x")),
    )


async def test_redelivered_positions_are_skipped_atomically(any_redis_url: str) -> None:
    client = connect(any_redis_url, decode_responses=True)
    store = ProjectionStore(client)
    batch: list[tuple[Position, Mutation | DeadLetter]] = [
        (Position("t", 0, 10), counting("a")),
        (Position("t", 0, 11), DeadLetter(Position("t", 0, 11), "not an EventEnvelope")),
        (Position("t", 0, 12), counting("a")),
        (Position("t", 1, 10), counting("b")),  # same offset, other partition: a different event
    ]
    assert await store.apply(batch) == 3
    first = await dump(client)
    assert first["u:{a}"] == {"n": "2", "@0": "12"}  # the guard lives in the projection's own hash
    assert first["u:{b}"] == {"n": "1", "@1": "10"}
    assert first[DEAD_LETTERS_KEY] == {"t/0/11": "not an EventEnvelope"}

    assert await store.apply(batch) == 0  # the whole batch again, as after a crash
    assert await store.apply(batch[:1]) == 0  # an older position than the last applied
    assert await dump(client) == first

    assert await store.apply([(Position("t", 0, 13), counting("a"))]) == 1
    assert (await client.hgetall("u:{a}")) == {"n": "3", "@0": "13"}
    await client.aclose()


async def test_a_record_changed_by_another_worker_is_refused_then_folded_again(
    any_redis_url: str,
) -> None:
    from datetime import UTC, date, datetime

    from bhyt.v1 import events_pb2 as ev

    from projections.participation import model
    from verifier.domain.participation import Gender, Participation, Status
    from verifier.events import envelopes as events
    from verifier.readmodel.participation import decode_participation

    at = datetime(2026, 6, 1, tzinfo=UTC)
    person = Participation(
        "4016354956", "GD4404016354956", "Nguyễn Văn An", date(1990, 5, 1), Gender.MALE, "40-C54",
        date(2026, 1, 1), date(2026, 12, 31),
    )  # fmt: skip
    enrolled = (Position("t", 2, 5), events.participant_enrolled(person, at=at, producer="t"))
    facility = ev.RegisteredFacilityChanged(
        social_insurance_number="4016354956", registered_facility="40-001"
    )
    moved = (Position("t", 2, 6), events.lifecycle("4016354956", facility, at=at, producer="t"))
    revoked_payload = ev.CardRevoked(social_insurance_number="4016354956", card_number="GD4404016354956")
    revoked = (Position("t", 2, 7), events.lifecycle("4016354956", revoked_payload, at=at, producer="t"))

    client = connect(any_redis_url, decode_responses=True)
    store = ProjectionStore(client)
    await model.apply_batch(store, [enrolled])
    # This worker reads at guard 5 and folds 6-7 ...
    _, snapshots, _, _ = await model._fold(store, {"4016354956": [moved, revoked]}, read_all=True)
    # ... while another worker (before a rebalance settled) applies 6 first.
    await model.apply_batch(store, [moved])
    assert await store.write_snapshots(snapshots) == [0]  # refused: the guard moved
    await model.apply_batch(store, [moved, revoked])  # folded again from the new record
    packed = str(await client.hget("p:{4016354956}", "d"))
    record = decode_participation("4016354956", packed)
    assert (record.registered_facility, record.status) == ("40-001", Status.REVOKED)
    assert await client.hget("p:{4016354956}", "@2") == "7"
    await client.aclose()


async def test_a_batch_of_many_people_is_written_whole_and_once(any_redis_url: str) -> None:
    """Participation records, CCCD index entries, face statistics per person and per facility:
    on a cluster they span many slots and nodes, and redelivering the batch changes nothing."""
    from datetime import UTC, date, datetime

    from projections.face import model as face
    from projections.participation import model
    from verifier.domain.participation import Gender, Participation
    from verifier.events import envelopes as events
    from verifier.readmodel.participation import face_facility_key, participant_key, personal_id_key

    at = datetime(2026, 6, 1, tzinfo=UTC)
    people = [
        Participation(f"40{i:08d}", f"GD440{i:010d}", "Nguyễn Văn An", date(1990, 5, 1), Gender.MALE,
                      "40-C54", date(2026, 1, 1), date(2026, 12, 31), personal_id=f"0010900{i:05d}")
        for i in range(60)
    ]  # fmt: skip
    enrolled = [
        (Position("t", 0, offset), events.participant_enrolled(p, at=at, producer="t"))
        for offset, p in enumerate(people)
    ]
    matches = []
    for offset, p in enumerate(people):
        match = events.envelope(key=p.social_insurance_number, at=at, producer="t")
        match.face_match_recorded.facility_id = f"40-{offset % 3:03d}"
        match.face_match_recorded.score = 0.9
        match.face_match_recorded.matched = True
        matches.append((Position("f", 0, offset), match))
    client = connect(any_redis_url, decode_responses=True)
    store = ProjectionStore(client)
    await model.apply_batch(store, enrolled)
    await face.apply_batch(store, matches)
    first = await dump(client)
    for p in people:
        assert first[personal_id_key(p.personal_id)] == p.social_insurance_number
        assert first[participant_key(p.social_insurance_number)]
    facilities = [cast(dict[str, str], first[face_facility_key(f"40-{f:03d}")]) for f in range(3)]
    assert [f["n"] for f in facilities] == ["20", "20", "20"]

    await model.apply_batch(store, enrolled)  # redelivered, as after a crash
    await face.apply_batch(store, matches)
    assert await dump(client) == first
    await client.aclose()
