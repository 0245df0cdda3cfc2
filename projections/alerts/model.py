"""The alerts projection: the alerts topic -> each alert's latest view in Redis, and a recent list.

Keys (schema and encoding in `verifier/adapters/alert_store.py`, which the verifier reads with):
  al:{al}:<alert id>  hash  v AlertView (base64 protobuf), r revision, s status, t updated_at ms
  al:{al}:recent      zset  alert id scored by updated_at ms, trimmed to `alerts_recent_size`

Idempotence does not come from log offsets here but from the alert itself: the monitor may
republish a revision after a crash (a new event, a new offset, the same fact), so the guard is the
pair (revision, status), which only ever grows. AlertRaised/AlertUpdated apply only with a higher
revision, keeping the status staff set; AlertAcknowledged/AlertClosed apply only if they move the
status forward (OPEN < ACKNOWLEDGED < CLOSED). A redelivered or republished event therefore
changes nothing, in any order.

A batch is folded in Python per alert (events of one alert share a partition, so arrive in
order), then each alert is written by one Lua script that checks the stored (revision, status) is
still what the fold started from (compare-and-set, as `projections/participation` does), so two
workers overlapping in a rebalance cannot lose each other's change; a refused alert is read and
folded again. The script also writes the recent list, so record and list never disagree.

An acknowledgement seen before its AlertRaised (which keying by alert id rules out, but a rebuild
of a hand-made topic could still produce) is kept as a status-only record (revision 0) that the
reader does not show; the AlertRaised then fills it in and keeps the status.

Both keys share the hash tag {al}, so the script runs on a Redis Cluster too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev
from bhyt.v1.events_pb2 import EventEnvelope

from projections.store import DeadLetter, Position, ProjectionStore
from verifier.adapters.redis_client import Batch, LuaScript
from verifier.readmodel.alerts import (
    RECENT_KEY,
    REVISION_FIELD,
    STATUS_FIELD,
    VIEW_FIELD,
    alert_key,
    closing_note,
    decode_view,
    encode_view,
    epoch_ms,
    revised,
    with_status,
)

log = logging.getLogger(__name__)

PATTERNS = ("al:*",)  # the keys this projection owns (rebuild drops them)
MAX_ATTEMPTS = 5

# KEYS: al:{al}:<id>, al:{al}:recent. ARGV: expected revision and status ('' when absent), new revision,
# new status, encoded view, updated_at ms, alert id, recent size.
# Returns 1 written, 0 not newer than what is stored (nothing to do), -1 changed since it was read.
_WRITE_ALERT = LuaScript("""
local held = redis.call('HMGET', KEYS[1], 'r', 's')
if (held[1] or '') ~= ARGV[1] or (held[2] or '') ~= ARGV[2] then return -1 end
local r, s = tonumber(ARGV[3]), tonumber(ARGV[4])
if held[1] then
  local hr, hs = tonumber(held[1]), tonumber(held[2])
  if r < hr or s < hs or (r == hr and s == hs) then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[5], 'r', ARGV[3], 's', ARGV[4], 't', ARGV[6])
if r > 0 then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[8]) + 1))
end
return 1
""")

_RAISED = frozenset({"alert_raised", "alert_updated"})
_STATUS_CHANGES = {
    "alert_acknowledged": api.ALERT_STATUS_ACKNOWLEDGED,
    "alert_closed": api.ALERT_STATUS_CLOSED,
}


@dataclass(frozen=True)
class AlertChange:
    """What one event says about one alert: a new revision (`alert`) or a new status."""

    alert_id: str
    at: datetime
    alert: ev.Alert | None = None
    status: api.AlertStatus = api.ALERT_STATUS_UNSPECIFIED
    by: str = ""
    note: str = ""


def change_of(event: EventEnvelope) -> AlertChange | None:
    """The change an event makes, None for another projection's event; ValueError for an alert
    event this projection cannot use (it becomes a dead letter, never silently dropped)."""
    kind = event.WhichOneof("payload")
    at = event.occurred_at.ToDatetime(tzinfo=UTC)
    if kind in _RAISED:
        alert = getattr(event, kind).alert
        if not alert.alert_id or alert.revision < 1:
            raise ValueError(f"{kind} without an alert id or with revision 0")
        return AlertChange(alert.alert_id, at, alert=alert)
    if kind == "alert_acknowledged":
        a = event.alert_acknowledged
        if not a.alert_id:
            raise ValueError("alert_acknowledged without an alert id")
        return AlertChange(a.alert_id, at, status=_STATUS_CHANGES[kind], by=a.staff_id, note=a.note)
    if kind == "alert_closed":
        c = event.alert_closed
        if not c.alert_id:
            raise ValueError("alert_closed without an alert id")
        note = closing_note(c.resolution, c.note)
        return AlertChange(c.alert_id, at, status=_STATUS_CHANGES[kind], by=c.staff_id, note=note)
    return None


def evolve(state: api.AlertView | None, change: AlertChange) -> api.AlertView | None:
    """The view after one change; `state` itself (the same object) when the change is not newer."""
    if change.alert is not None:
        return revised(state, change.alert, change.at) or state
    base = state if state is not None else api.AlertView(alert=ev.Alert(alert_id=change.alert_id))
    return with_status(base, change.status, by=change.by, note=change.note, at=change.at) or state


async def apply_batch(
    store: ProjectionStore,
    events: Sequence[tuple[Position, EventEnvelope]],
    *,
    recent_size: int,
) -> int:
    """Fold a batch into the alerts it names; return how many alert records were written."""
    pending: dict[str, list[AlertChange]] = {}
    dead: list[DeadLetter] = []
    for position, event in events:
        try:
            change = change_of(event)
        except ValueError as e:
            dead.append(DeadLetter(position, str(e)))
            continue
        if change is not None:
            pending.setdefault(change.alert_id, []).append(change)
    if dead:
        await store.write_snapshots((), dead)
    client = store.client
    written = 0
    for _ in range(MAX_ATTEMPTS):
        if not pending:
            return written
        ids = list(pending)
        async with client.pipeline(transaction=False) as pipe:
            for alert_id in ids:
                pipe.hmget(alert_key(alert_id), [VIEW_FIELD, REVISION_FIELD, STATUS_FIELD])
            rows = await pipe.execute()
        writes: list[str] = []
        async with Batch(client) as batch:
            for alert_id, (text, revision, status) in zip(ids, rows, strict=True):
                stored = decode_view(text) if text else None
                view = stored
                for change in pending[alert_id]:
                    view = evolve(view, change)
                if view is None or view is stored:
                    continue  # redelivered or republished: already held
                args = [revision or "", status or "", view.alert.revision, view.status, encode_view(view),
                        epoch_ms(view), alert_id, recent_size]  # fmt: skip
                batch.call(_WRITE_ALERT, [alert_key(alert_id), RECENT_KEY], args)
                writes.append(alert_id)
            results = await batch.execute() if writes else []
        written += sum(1 for r in results if r == 1)
        pending = {
            alert_id: pending[alert_id] for alert_id, r in zip(writes, results, strict=True) if r == -1
        }
    raise RuntimeError(f"{len(pending)} alert record(s) kept changing under this worker")
