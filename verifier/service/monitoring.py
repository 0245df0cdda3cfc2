"""Misuse monitoring for staff: list and watch alerts, acknowledge and close them.

Alerts are raised by the monitor's rules (projections/monitor); this is their read side and the
staff's two actions. An acknowledgement or a closure is an event on the alerts topic, written
before the answer, like every decision here: the projection and every verifier's live feed then
take it from the log, so the log stays the one record of who did what.

Reads are eventually consistent: the answer to an action is the view as the read model held it
with the new status applied, and a watcher sees the change once the feed reads it back.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from bhyt.v1 import api_pb2

from verifier.errors import BadRequest, NotFound
from verifier.events.facts import AlertAcknowledged, AlertClosed
from verifier.ports import EventLog
from verifier.readmodel.alerts import closing_note, matches, status_rank, with_status

Clock = Callable[[], datetime]

DEFAULT_COUNT = 50
MAX_COUNT = 1000
MAX_NOTE_CHARS = 1000
MAX_ID_CHARS = 200


class AlertReader(Protocol):
    """The alerts read model (`verifier.adapters.alert_store.AlertStore`)."""

    async def get(self, alert_id: str) -> api_pb2.AlertView | None: ...

    async def recent(self, flt: api_pb2.AlertFilter, limit: int) -> list[api_pb2.AlertView]: ...


class ChangeQueue(Protocol):
    async def next(self) -> api_pb2.AlertView: ...


class AlertChanges(Protocol):
    """The live feed of alert changes (`verifier.adapters.alert_feed.AlertFeed`)."""

    def subscribe(self) -> AbstractContextManager[ChangeQueue]: ...

    def latest(self, alert_id: str) -> api_pb2.AlertView | None: ...


def bounded_count(requested: int) -> int:
    """0 means the default; more than the maximum is cut to it (a dashboard asks for "all")."""
    return min(requested or DEFAULT_COUNT, MAX_COUNT)


class MonitoringService:
    def __init__(
        self,
        *,
        store: AlertReader,
        feed: AlertChanges,
        event_log: EventLog,
        clock: Clock,
    ) -> None:
        self._store = store
        self._feed = feed
        self._log = event_log
        self._clock = clock

    async def list_alerts(self, flt: api_pb2.AlertFilter, limit: int) -> list[api_pb2.AlertView]:
        """Alerts passing `flt`, most recently changed first."""
        return await self._store.recent(flt, bounded_count(limit))

    def watch_alerts(
        self, flt: api_pb2.AlertFilter, replay: int
    ) -> AsyncGenerator[api_pb2.AlertNotice, None]:
        """The `replay` most recent matching alerts (oldest of them first), then every matching
        change as it happens. A watcher that leaves closed alerts out is still told, once, that
        an alert was closed, so it can take the alert off its screen.

        Runs until the caller closes the generator (`aclose`, which ends the subscription at
        once) or the feed ends it with an error (AlertFeedStopped, SubscriberTooSlow). An
        AsyncIterator, with `aclose` for callers that stop early."""
        return self._watch(flt, bounded_count(replay))

    async def _watch(
        self, flt: api_pb2.AlertFilter, replay: int
    ) -> AsyncGenerator[api_pb2.AlertNotice, None]:
        # Subscribe before reading the history, so no change falls between the two. The history
        # (from the projection) and the feed (from the topic) can each be ahead of the other, so
        # a watcher is only ever sent an alert newer than what it already has: a change in both
        # is sent once, and an older revision arriving late on the feed is not sent at all.
        with self._feed.subscribe() as changes:
            history = await self._store.recent(flt, replay)
            sent = {v.alert.alert_id: _version(v) for v in history}
            for view in reversed(history):
                yield api_pb2.AlertNotice(alert=view, replayed=True)
            told_closed: set[str] = set()
            while True:
                view = await changes.next()
                if not live_change_passes(view, flt, told_closed):
                    continue
                if _version(view) <= sent.get(view.alert.alert_id, (0, 0)):
                    continue
                sent[view.alert.alert_id] = _version(view)
                yield api_pb2.AlertNotice(alert=view, replayed=False)

    async def acknowledge(self, alert_id: str, staff_id: str, note: str) -> api_pb2.AlertView:
        alert_id, staff_id = _required("alert_id", alert_id), _required("staff_id", staff_id)
        _bounded("note", note, MAX_NOTE_CHARS)
        return await self._act(alert_id, api_pb2.ALERT_STATUS_ACKNOWLEDGED, staff_id, note, resolution="")

    async def close(self, alert_id: str, staff_id: str, resolution: str, note: str) -> api_pb2.AlertView:
        alert_id, staff_id = _required("alert_id", alert_id), _required("staff_id", staff_id)
        _bounded("note", note, MAX_NOTE_CHARS)
        _bounded("resolution", resolution, MAX_ID_CHARS)
        return await self._act(alert_id, api_pb2.ALERT_STATUS_CLOSED, staff_id, note, resolution=resolution)

    async def _act(
        self, alert_id: str, status: api_pb2.AlertStatus, staff_id: str, note: str, *, resolution: str
    ) -> api_pb2.AlertView:
        """Record the action and answer with the view it produces. An action that would not move
        the status forward (acknowledging a closed alert, closing it twice: a retry, or two staff
        at once) records nothing and answers with the alert as it stands, showing who acted."""
        # Staff may act on an alert they saw live before the alerts projection has stored it.
        current = await self._store.get(alert_id) or self._feed.latest(alert_id)
        if current is None:
            raise NotFound(f"no alert with id {alert_id}")
        if status_rank(status) <= status_rank(current.status):
            return current
        at = self._clock()
        fact: AlertClosed | AlertAcknowledged
        if status == api_pb2.ALERT_STATUS_CLOSED:
            fact = AlertClosed(alert_id=alert_id, staff_id=staff_id, resolution=resolution, note=note, at=at)
            note = closing_note(resolution, note)
        else:
            fact = AlertAcknowledged(alert_id=alert_id, staff_id=staff_id, note=note, at=at)
        await self._log.append(fact)
        view = with_status(current, status, by=staff_id, note=note, at=at)
        assert view is not None  # the status moves forward: checked above
        return view


def live_change_passes(view: api_pb2.AlertView, flt: api_pb2.AlertFilter, told_closed: set[str]) -> bool:
    """Whether a watcher gets a live change: it matches the filter, or it is the closure of an
    alert that otherwise matches, the first time this watcher meets it closed (`told_closed`
    remembers those, so later revisions of a closed alert stay out)."""
    if view.status != api_pb2.ALERT_STATUS_CLOSED or flt.include_closed:
        return matches(view, flt)
    if view.alert.alert_id in told_closed:
        return False
    widened = api_pb2.AlertFilter()
    widened.CopyFrom(flt)
    widened.include_closed = True
    if not matches(view, widened):
        return False
    told_closed.add(view.alert.alert_id)
    return True


def _version(view: api_pb2.AlertView) -> tuple[int, int]:
    """How far along an alert is: its revision, then its status (open < acknowledged < closed)."""
    return view.alert.revision, status_rank(view.status)


def _required(name: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise BadRequest(f"{name} is required")
    return _bounded(name, value, MAX_ID_CHARS)


def _bounded(name: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters")
    return value
