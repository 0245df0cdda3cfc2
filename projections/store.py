"""Applying projection changes to Redis exactly once per log position.

Faust delivers at least once: after a crash or a rebalance, events since the last committed offset
come again. Each change is therefore applied by one Lua script that first compares the event's
offset with the last offset applied for that person and partition (`applied:{subject}`), and
applies nothing if it has seen it. Guard and change run atomically in Redis, so a crash between
them cannot leave a half-applied event. Every key the script touches carries the subject's hash
tag, so on a Redis Cluster it runs within one slot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from verifier.adapters.read_model import applied_key

log = logging.getLogger(__name__)

Command = tuple[str, ...]

_APPLY_ONCE = """
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
local i = 3
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


@dataclass(frozen=True)
class Position:
    """Where an event sits in the log: the unit of idempotence."""

    topic: str
    partition: int
    offset: int

    @property
    def stream(self) -> str:
        return f"{self.topic}/{self.partition}"


@dataclass(frozen=True)
class Mutation:
    """What one event changes in Redis.

    `commands` touch only the subject's keys and are applied once per position; `upserts` are
    naturally idempotent writes to other slots (indexes), so they run unguarded before them.
    """

    subject: str
    commands: tuple[Command, ...]
    upserts: tuple[Command, ...] = field(default=())


@dataclass(frozen=True)
class DeadLetter:
    """An event a projection could not read; kept in Redis with its position, never dropped silently."""

    position: Position
    reason: str


DEAD_LETTERS_KEY = "projection:dead-letters"


class ProjectionStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client
        self._apply_once = client.register_script(_APPLY_ONCE)

    async def apply(self, changes: Sequence[tuple[Position, Mutation | DeadLetter]]) -> int:
        """Apply a batch in log order in one round trip; return how many events changed state."""
        if not changes:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            guarded: list[int] = []  # pipeline indexes of the guarded script calls
            for position, change in changes:
                if isinstance(change, DeadLetter):
                    pipe.hset(DEAD_LETTERS_KEY, f"{position.stream}/{position.offset}", change.reason)
                    continue
                for command in change.upserts:
                    pipe.execute_command(*command)
                args: list[str | int] = [position.stream, position.offset]
                for command in change.commands:
                    args.append(len(command))
                    args.extend(command)
                guarded.append(len(pipe.command_stack))
                await self._apply_once(keys=[applied_key(change.subject)], args=args, client=pipe)
            results = await pipe.execute()
        return sum(1 for i in guarded if results[i] == 1)

    async def apply_until_done(self, changes: Sequence[tuple[Position, Mutation | DeadLetter]]) -> int:
        """Retry while Redis is unreachable: the events are not acked until applied, so none is lost."""
        delay = 0.2
        while True:
            try:
                return await self.apply(changes)
            except RedisError as e:
                log.warning("Redis unavailable (%s); retrying the batch in %.1fs", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
