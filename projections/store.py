"""Applying projection changes to Redis exactly once per log position.

Faust delivers at least once: after a crash or a rebalance, events since the last committed offset
come again. Every projection therefore keeps, inside its own main hash, the last offset it applied
from each partition (field `@<partition>`), and changes Redis only through Lua scripts that check
that guard and apply the change atomically, so a crash between them cannot leave a half-applied
event.

Two shapes of change:
- `Mutation`: commands for one event (counters, lists) on one person's keys, which share a hash
  tag (one Redis Cluster slot): applied if the event's offset is new.
- `Snapshot`: a record folded from several events in Python: written (with its CCCD index entry)
  only if the guard still holds the offset it was read at (compare-and-set), or, folded from a
  full snapshot event, if the guard is below it. One script call writes a whole batch on one
  Redis; on a Redis Cluster, one call per hash slot, and the index entries after their records
  (see `write_snapshots`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.adapters.redis_client import Batch, LuaScript, Pipeline, RedisClient, is_cluster, slot_groups
from verifier.readmodel.participation import guard_field

log = logging.getLogger(__name__)

Command = tuple[str, ...]

_APPLY_ONCE = LuaScript("""
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
""")

# One call writes a whole batch of folded records (one round trip, one reply). Per record, ARGV
# holds 8 values: mode ('c' compare-and-set on the guard read earlier, 'n' write if newer),
# guard field, expected guard, new guard, record field, record value, index key position in KEYS
# (0: none), index value. Every key is declared in KEYS. Returns {refused, held}: the records not
# written, and among them those whose guard already is the new offset (this very write, made before).
_WRITE_SNAPSHOTS = LuaScript("""
local refused, held = {}, {}
local a = 1
for i = 1, tonumber(ARGV[#ARGV]) do
  local mode, gf, expected, new = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
  local last = redis.call('HGET', KEYS[i], gf)
  local ok
  if mode == 'n' then ok = (not last) or tonumber(last) < tonumber(new) else ok = (last or '') == expected end
  if ok then
    redis.call('HSET', KEYS[i], gf, new, ARGV[a + 4], ARGV[a + 5])
    local ik = tonumber(ARGV[a + 6])
    if ik > 0 then redis.call('SET', KEYS[ik], ARGV[a + 7]) end
  else
    table.insert(refused, i)
    if last == new then table.insert(held, i) end
  end
  a = a + 8
end
return {refused, held}
""")


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
    """What one event changes: `commands` on the subject's keys, guarded by `guard_key`. Each
    command names its key second (`("HINCRBY", key, ...)`), in the guard key's hash slot."""

    guard_key: str
    commands: tuple[Command, ...]
    counted: bool = True  # counts as an applied event (a facility's share of a person's event: no)

    @property
    def keys(self) -> list[str]:
        """Every key it touches, the guard first: all declared to the script, so a Redis Cluster
        moving their slot answers TRYAGAIN (retried) before the script runs, not half-way."""
        return list(dict.fromkeys([self.guard_key, *(command[1] for command in self.commands)]))


@dataclass(frozen=True)
class Snapshot:
    """A record to write in field `field` of `key`.

    Folded from a stored record read at guard `read_offset`: written only if the guard is still
    there (compare-and-set). Folded from a full snapshot event (`from_scratch`), it does not
    depend on what is stored, so it is written if the guard is below `new_offset`, with no read.
    """

    key: str
    partition: int
    read_offset: int | None
    new_offset: int
    field: str
    value: str
    index: tuple[str, str] | None = None  # (key, value) of an index entry written with the record
    from_scratch: bool = False


@dataclass(frozen=True)
class DeadLetter:
    """An event a projection could not use; kept in Redis with its position, never dropped silently."""

    position: Position
    reason: str


DEAD_LETTERS_KEY = "projection:dead-letters"


class ProjectionStore:
    def __init__(self, client: RedisClient) -> None:
        self._redis = client

    @property
    def client(self) -> RedisClient:
        """For a projection whose guard is not a log offset (alerts: revision and status) and so
        needs its own script on the same connection pool."""
        return self._redis

    async def apply(self, changes: Sequence[tuple[Position, Mutation | DeadLetter]]) -> int:
        """Apply per-event mutations in log order in one round trip; return how many were new (of
        those `counted`).

        Each mutation's commands touch keys of its guard key's hash slot only."""
        if not changes:
            return 0
        async with Batch(self._redis) as batch:
            guarded: list[int] = []  # reply indexes of the guarded script calls
            for position, change in changes:
                if isinstance(change, DeadLetter):
                    self._dead_letter(batch.pipe, change)
                    continue
                args: list[str | int] = [guard_field(position.partition), position.offset]
                for command in change.commands:
                    args.append(len(command))
                    args.extend(command)
                index = batch.call(_APPLY_ONCE, change.keys, args)
                if change.counted:
                    guarded.append(index)
            results = await batch.execute()
        return sum(1 for i in guarded if results[i] == 1)

    async def read_guarded(
        self, keys: Sequence[tuple[str, int]], field: str
    ) -> list[tuple[str | None, int | None]]:
        """(value of `field`, last applied offset) of each (key, partition), in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for key, partition in keys:
                pipe.hmget(key, [field, guard_field(partition)])
            rows = await pipe.execute()
        return [(value, int(offset) if offset is not None else None) for value, offset in rows]

    async def write_snapshots(
        self, snapshots: Sequence[Snapshot], dead: Sequence[DeadLetter] = ()
    ) -> list[int]:
        """Write the snapshots whose guard allows it; return the indexes (0-based) of those refused:
        already applied, or folded from a record another worker has changed since.

        On one Redis the whole batch is one script call, each index entry written with its record.
        On a Redis Cluster a script can only declare keys of one hash slot, so there is one call
        per slot, and then the index entries (each in a slot of its own) of the records written,
        or held already at this very offset: a crash between a record and its entry is healed by
        the redelivery, whose record then answers "held". An entry names its record's own SIN.
        """
        if not snapshots and not dead:
            return []
        clustered = is_cluster(self._redis)
        async with Batch(self._redis) as batch:
            for letter in dead:
                self._dead_letter(batch.pipe, letter)
            calls: list[tuple[list[int], int]] = []  # (snapshot indexes, reply index) per call
            for group in slot_groups(self._redis, [s.key for s in snapshots]):
                keys, args = _snapshot_call([snapshots[i] for i in group], with_index=not clustered)
                calls.append((group, batch.call(_WRITE_SNAPSHOTS, keys, args)))
            results = await batch.execute()
        refused = {group[int(i) - 1] for group, reply in calls for i in results[reply][0]}
        if clustered:
            held = {group[int(i) - 1] for group, reply in calls for i in results[reply][1]}
            await self._write_index(
                [s.index for i, s in enumerate(snapshots) if s.index and (i not in refused or i in held)]
            )
        return sorted(refused)

    async def forget(self, keys: Sequence[str]) -> None:
        """Delete `keys` (index entries that name what is no longer there: an erased person's CCCD
        number). Idempotent, so a redelivered batch deletes them again before its records."""
        if keys:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.delete(key)
                await pipe.execute()

    async def _write_index(self, entries: Sequence[tuple[str, str]]) -> None:
        if entries:
            async with self._redis.pipeline(transaction=False) as pipe:
                for key, value in entries:
                    pipe.set(key, value)
                await pipe.execute()

    @staticmethod
    def _dead_letter(pipe: Pipeline, letter: DeadLetter) -> None:
        pipe.hset(DEAD_LETTERS_KEY, f"{letter.position.stream}/{letter.position.offset}", letter.reason)


def _snapshot_call(snapshots: Sequence[Snapshot], *, with_index: bool) -> tuple[list[str], list[str | int]]:
    """KEYS and ARGV of one `_WRITE_SNAPSHOTS` call."""
    record_keys = [s.key for s in snapshots]
    index_keys: list[str] = []
    args: list[str | int] = []
    for s in snapshots:
        expected = "" if s.read_offset is None else str(s.read_offset)
        position = 0
        if with_index and s.index is not None:
            index_keys.append(s.index[0])
            position = len(record_keys) + len(index_keys)
        index_value = s.index[1] if with_index and s.index else ""
        mode = "n" if s.from_scratch else "c"
        args += [
            mode,
            guard_field(s.partition),
            expected,
            s.new_offset,
            s.field,
            s.value,
            position,
            index_value,
        ]
    args.append(len(snapshots))
    return record_keys + index_keys, args
