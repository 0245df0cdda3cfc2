"""The accounts projection: bhyt.accounts.v1 -> accounts and registered staff in Redis.

Schema in `verifier/readmodel/accounts.py`. Idempotent as the other projections are: each
aggregate's hash keeps the last offset applied from its partition (`@<partition>`), and a change is
applied only past it, in one Lua script with the change itself, so a redelivered event changes
nothing. An account's events are keyed "account:<username>" and a facility's staff events
"staff:<facility>", so each aggregate's events arrive in order on one partition.

Accounts change by plain commands (the generic guarded `Mutation`). Staff need one read: a
StaffRemoved names the registry id, not the CCCD, yet the facility's CCCD index must lose its
entry; so staff changes run a script of their own that reads the record inside the same atomic
step (a batch may register and remove one person before Redis holds either).
"""

from __future__ import annotations

from collections.abc import Sequence

from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import DeadLetter, Mutation, Position, ProjectionStore
from verifier.adapters.redis_client import Batch, LuaScript
from verifier.domain.accounts import Role
from verifier.events.sealing import is_erased
from verifier.readmodel import accounts as schema
from verifier.readmodel.participation import guard_field

PATTERNS = schema.PATTERNS

# KEYS: ac:{a}:f:<facility> (the guard), ac:{a}:s:<registry id>, ac:{a}:facs: one hash slot.
# ARGV: guard field, offset, op ('r' register, 'x' remove), CCCD field, CCCD, name, facility,
# registry id, staff record prefix. Returns 1 applied, 0 already applied.
_STAFF = LuaScript("""
local last = redis.call('HGET', KEYS[1], ARGV[1])
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == 'r' then
  local held = redis.call('HGET', KEYS[1], ARGV[4])
  if held and held ~= ARGV[8] then redis.call('DEL', ARGV[9] .. held) end
  redis.call('HSET', KEYS[1], ARGV[4], ARGV[8])
  redis.call('HSET', KEYS[2], 'fac', ARGV[7], 'pid', ARGV[5], 'name', ARGV[6])
  redis.call('HSET', KEYS[3], ARGV[7], '1')
elseif redis.call('HGET', KEYS[2], 'fac') == ARGV[7] then
  local pid = redis.call('HGET', KEYS[2], 'pid')
  if pid and redis.call('HGET', KEYS[1], ARGV[4] .. pid) == ARGV[8] then
    redis.call('HDEL', KEYS[1], ARGV[4] .. pid)
  end
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
""")


def account_mutation(event: EventEnvelope) -> Mutation | None:
    """What an account event changes; None for a staff event. ValueError: unusable (dead letter)."""
    kind = event.WhichOneof("payload")
    if kind == "account_added":
        a = event.account_added
        Role(a.role)  # ValueError for a role nobody can log in with: a dead letter, not a record
        if not a.username or not a.password_hash.startswith("scrypt$"):
            raise ValueError("account_added without a username or a scrypt password hash")
        key = schema.account_key(a.username)
        commands = (
            ("HSET", key, "role", a.role, "fac", a.facility_id, "ph", a.password_hash, "dis", "0", "dr", ""),
            ("HSET", schema.ACCOUNTS_KEY, a.username, "1"),
        )
        return Mutation(key, commands)
    if kind == "account_disabled":
        d = event.account_disabled
        if not d.username:
            raise ValueError("account_disabled without a username")
        key = schema.account_key(d.username)
        return Mutation(key, (("HSET", key, "dis", "1", "dr", d.reason),))
    return None


def staff_arguments(position: Position, event: EventEnvelope) -> tuple[list[str], list[str | int]] | None:
    """(KEYS, ARGV) of the staff script for a staff event; None for an account event."""
    kind = event.WhichOneof("payload")
    if kind == "staff_registered":
        s = event.staff_registered
        if is_erased(s):
            return None  # still sealed: the staff member was removed since, and their data erased
        if not (s.registry_id and s.facility_id and s.personal_id):
            raise ValueError("staff_registered without a registry id, facility or CCCD")
        op, pid, name, facility, registry_id = "r", s.personal_id, s.full_name, s.facility_id, s.registry_id
    elif kind == "staff_removed":
        x = event.staff_removed
        if not (x.registry_id and x.facility_id):
            raise ValueError("staff_removed without a registry id or facility")
        op, pid, name, facility, registry_id = "x", "", "", x.facility_id, x.registry_id
    else:
        return None
    keys = [schema.staff_facility_key(facility), schema.staff_key(registry_id), schema.FACILITIES_KEY]
    field = schema.personal_id_field(pid) if pid else schema.PERSONAL_ID_FIELD_PREFIX
    args: list[str | int] = [guard_field(position.partition), position.offset, op, field, pid, name,
                             facility, registry_id, schema.STAFF_RECORD_PREFIX]  # fmt: skip
    return keys, args


async def apply_batch(store: ProjectionStore, events: Sequence[tuple[Position, EventEnvelope]]) -> int:
    """Apply a batch in log order; return how many events were new."""
    accounts: list[tuple[Position, Mutation | DeadLetter]] = []
    staff: list[tuple[list[str], list[str | int]]] = []
    for position, event in events:
        try:
            mutation = account_mutation(event)
            arguments = staff_arguments(position, event) if mutation is None else None
        except ValueError as e:
            accounts.append((position, DeadLetter(position, f"ValueError: {e}")))
            continue
        if mutation is not None:
            accounts.append((position, mutation))
        elif arguments is not None:
            staff.append(arguments)
    applied = await store.apply(accounts)
    if staff:
        async with Batch(store.client) as batch:
            for keys, args in staff:
                batch.call(_STAFF, keys, args)
            results = await batch.execute()
        applied += sum(1 for r in results if r == 1)
    return applied
