"""The idempotent apply against a real Redis: a redelivered batch changes nothing."""

from __future__ import annotations

from typing import cast

import redis.asyncio as aioredis

from infra.local.redis_server import RedisServer
from projections.store import DEAD_LETTERS_KEY, DeadLetter, Mutation, Position, ProjectionStore


async def dump(client: aioredis.Redis) -> dict[str, object]:
    """Every key with its value, type-aware: a digest of the whole read model."""
    state: dict[str, object] = {}
    keys = cast(list[str], await client.keys("*"))
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
        upserts=(("SET", f"i:{subject}", subject),),
    )


async def test_redelivered_positions_are_skipped_atomically(redis_server: RedisServer) -> None:
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
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
