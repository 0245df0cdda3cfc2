"""The alerts read model: its Redis key schema, its encoding, the rules every reader shares; the
verifier's reader (`verifier/adapters/alert_store.py`).

The alerts projection (`projections/alerts/model.py`) writes these keys and the verifier reads
them, so both import this one module (as `participation.py` is shared for participation).

Keys (all with the hash tag {al}, so one Redis Cluster slot: a script writes an alert and the
recent list together, and alerts are few):
  al:{al}:<alert id>  hash  v: the alert's latest `AlertView` (serialized protobuf, base64, because
                          the clients use decode_responses=True and protobuf bytes are not UTF-8),
                       r: its revision (0: acknowledged or closed before its AlertRaised was seen),
                       s: its status (AlertStatus number: 1 open, 2 acknowledged, 3 closed),
                       t: updated_at in epoch milliseconds (the envelope time of the last change)
  al:{al}:recent      zset  alert id scored by updated_at ms; the newest `alerts_recent_size` alerts.
                       Trimming drops an alert from this list only: its hash stays, so an old alert
                       can still be read, acknowledged, closed or updated (alerts are few).

Rules (pure, shared by the projection, the live feed and the service):
- a revision applies only if it is newer than the one held, and keeps the status held;
- status only moves forward, OPEN < ACKNOWLEDGED < CLOSED, so a redelivered or late
  acknowledgement never reopens a closed alert.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev
from google.protobuf.message import DecodeError

TAG = "{al}"
RECENT_KEY = f"al:{TAG}:recent"
VIEW_FIELD, REVISION_FIELD, STATUS_FIELD, UPDATED_FIELD = "v", "r", "s", "t"

# The order status moves in; anything else (UNSPECIFIED) ranks below OPEN.
_STATUS_RANK = {api.ALERT_STATUS_OPEN: 1, api.ALERT_STATUS_ACKNOWLEDGED: 2, api.ALERT_STATUS_CLOSED: 3}


def alert_key(alert_id: str) -> str:
    return f"al:{TAG}:{alert_id}"


def encode_view(view: api.AlertView) -> str:
    return base64.b64encode(view.SerializeToString(deterministic=True)).decode("ascii")


def decode_view(text: str) -> api.AlertView:
    """Raises ValueError for anything that is not an encoded AlertView."""
    try:
        return api.AlertView.FromString(base64.b64decode(text, validate=True))
    except (binascii.Error, DecodeError) as e:
        raise ValueError(f"not an encoded AlertView: {e}") from e


def status_rank(status: api.AlertStatus) -> int:
    return _STATUS_RANK.get(status, 0)


def epoch_ms(view: api.AlertView) -> int:
    """updated_at in epoch milliseconds: the score of the recent list."""
    return view.updated_at.seconds * 1000 + view.updated_at.nanos // 1_000_000


def is_raised(view: api.AlertView) -> bool:
    """False for a status-only record (acknowledged before its AlertRaised was seen): not an alert yet."""
    return view.alert.revision > 0


def revised(current: api.AlertView | None, alert: ev.Alert, at: datetime) -> api.AlertView | None:
    """The view after AlertRaised/AlertUpdated carrying `alert`, or None when it is not newer
    than `current` (a republished revision or a redelivered event is the same fact, kept once).
    The status and who set it are kept: new evidence does not reopen an acknowledged alert."""
    if current is not None and alert.revision <= current.alert.revision:
        return None
    return restated(current, alert, at)


def restated(current: api.AlertView | None, alert: ev.Alert, at: datetime) -> api.AlertView:
    """`alert` with the status (and who set it) of `current`, OPEN when there is none; no
    revision check (the live feed uses it when the read model is already ahead of the log)."""
    view = api.AlertView(alert=alert, status=api.ALERT_STATUS_OPEN)
    if current is not None and status_rank(current.status) > 0:
        view.status, view.status_by, view.status_note = current.status, current.status_by, current.status_note
    view.updated_at.FromDatetime(at)
    return view


def with_status(
    current: api.AlertView, status: api.AlertStatus, *, by: str, note: str, at: datetime
) -> api.AlertView | None:
    """The view after a staff action, or None when the status would not move forward."""
    if status_rank(status) <= status_rank(current.status):
        return None
    view = api.AlertView()
    view.CopyFrom(current)
    view.status, view.status_by, view.status_note = status, by, note
    view.updated_at.FromDatetime(at)
    return view


def closing_note(resolution: str, note: str) -> str:
    """AlertView has one note: a close's resolution and its free-text note, in that order."""
    return ": ".join(part for part in (resolution, note) if part)


def matches(view: api.AlertView, flt: api.AlertFilter) -> bool:
    """Whether a view passes a filter; an empty filter field does not filter."""
    a = view.alert
    if flt.province and flt.province not in a.provinces:
        return False
    if flt.facility_id and flt.facility_id not in a.facility_ids:
        return False
    if flt.rule and flt.rule != a.rule:
        return False
    if a.severity < flt.min_severity:
        return False
    return flt.include_closed or view.status != api.ALERT_STATUS_CLOSED
