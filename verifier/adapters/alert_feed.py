"""The live tail of the alerts topic: every alert change as it happens, fanned out to watchers.

Staff watching alerts need them within a second, not after the projection has written them, so
this verifier reads the alerts topic itself, like the trust feed: no consumer group (every
verifier sees every change), every partition assigned, starting at the end offsets as they stand
when the feed starts (history comes from the read model, `AlertStore`). Each event becomes the
alert's view as it now stands: a new revision keeps the last known status; an acknowledgement or
closure takes the last known view (from a small cache of what this feed published, or else from
the read model) with its new status.

Robustness: a record that cannot be used is logged and skipped, a broker outage is waited out,
and should the feed nevertheless stop, every watcher is ended with an error rather than left
waiting for changes that will never come. Each watcher has a bounded queue: one that falls too
far behind is ended with `SubscriberTooSlow`, so a stalled client never blocks the feed or the
other watchers, and never silently misses changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Iterator
from datetime import UTC
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev
from kafka import KafkaConsumer

from verifier.errors import VerifierError
from verifier.events import decode_event
from verifier.readmodel.alerts import closing_note, is_raised, restated, with_status
from verifier.settings import Settings

log = logging.getLogger(__name__)

_STATUS_CHANGES = {
    "alert_acknowledged": api.ALERT_STATUS_ACKNOWLEDGED,
    "alert_closed": api.ALERT_STATUS_CLOSED,
}


class AlertFeedStopped(VerifierError):
    """The live feed is not running (verifier shutting down, or the feed failed): reconnect."""

    grpc_status = "UNAVAILABLE"
    code = "101"


class SubscriberTooSlow(VerifierError):
    """A watcher did not take its changes fast enough; it is ended so the feed never waits for it."""

    grpc_status = "RESOURCE_EXHAUSTED"
    code = "101"


class AlertLookup(Protocol):
    async def get(self, alert_id: str) -> api.AlertView | None: ...


class Subscription:
    """One watcher's bounded queue of alert changes, oldest first."""

    def __init__(self, limit: int) -> None:
        self._items: deque[api.AlertView] = deque()
        self._limit = limit
        self._ready = asyncio.Event()
        self._ended: VerifierError | None = None

    @property
    def ended(self) -> bool:
        return self._ended is not None

    def offer(self, view: api.AlertView) -> bool:
        """Queue a change without ever waiting; False (and the subscription ended) when full."""
        if self._ended is not None:
            return False
        if len(self._items) >= self._limit:
            self._items.clear()  # what is queued is already too old to be worth sending
            self.end(SubscriberTooSlow(f"watcher fell more than {self._limit} alert changes behind"))
            return False
        self._items.append(view)
        self._ready.set()
        return True

    def end(self, error: VerifierError) -> None:
        """No more changes: `next` returns what is queued, then raises `error`."""
        if self._ended is None:
            self._ended = error
            self._ready.set()

    async def next(self) -> api.AlertView:
        while True:
            if self._items:
                return self._items.popleft()
            if self._ended is not None:
                raise self._ended
            self._ready.clear()
            await self._ready.wait()


class AlertFeed:
    def __init__(
        self,
        settings: Settings,
        store: AlertLookup,
        *,
        queue_size: int = 1000,
        cache_size: int = 10000,
    ) -> None:
        self._settings = settings
        self._store = store
        self._queue_size = queue_size
        self._cache_size = cache_size
        self._cache: OrderedDict[str, api.AlertView] = OrderedDict()  # alert id -> last published
        self._subscribers: set[Subscription] = set()
        self._consumer: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._running = False

    async def start(self, timeout_s: float = 30.0) -> None:
        """Assign every partition of the alerts topic at its current end, then follow it."""
        topic = self._settings.topic_alerts
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._settings.kafka_bootstrap,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            client_id=f"{self._settings.producer_name}-alerts",
        )
        async with asyncio.timeout(timeout_s):
            numbers = await asyncio.get_running_loop().run_in_executor(None, self._partition_numbers)
            await self._consumer.start()
            partitions = [TopicPartition(topic, p) for p in sorted(numbers)]
            self._consumer.assign(partitions)
            # Explicit offsets, not seek_to_end (resolved lazily at the first fetch): a change
            # written after start() returns must be seen, whatever the fetch timing.
            for tp, end in (await self._consumer.end_offsets(partitions)).items():
                self._consumer.seek(tp, end)
        self._running = True
        self._task = asyncio.create_task(self._follow(), name="alert-feed")
        self._task.add_done_callback(self._report_end)

    def _partition_numbers(self) -> set[int]:
        """Blocking: the topic's partitions. kafka-python here, because aiokafka's consumer only
        offers metadata it has already fetched for a subscription, and this feed subscribes none."""
        consumer = KafkaConsumer(bootstrap_servers=self._settings.kafka_bootstrap.split(","))
        try:
            numbers = consumer.partitions_for_topic(self._settings.topic_alerts)
        finally:
            consumer.close()
        if not numbers:
            raise RuntimeError(f"topic {self._settings.topic_alerts} does not exist or has no partitions")
        return set(numbers)

    async def stop(self) -> None:
        self._end_all(AlertFeedStopped("alert feed stopped: this verifier is shutting down"))
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()

    def latest(self, alert_id: str) -> api.AlertView | None:
        """The alert as this feed last saw it, if it is among the recent ones it remembers."""
        return self._cache.get(alert_id)

    @property
    def watchers(self) -> int:
        """How many subscriptions are open (a cancelled watch must not leave one behind)."""
        return len(self._subscribers)

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        """Changes published from now on, until the `with` block ends."""
        if not self._running:
            raise AlertFeedStopped("the live alert feed is not running")
        subscription = Subscription(self._queue_size)
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    async def _follow(self) -> None:
        """Runs for the verifier's life: a broker outage is waited out, never ends the feed."""
        assert self._consumer is not None
        while True:
            try:
                async for record in self._consumer:
                    await self.handle(record.value)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alert feed interrupted; resuming in 1 s")
                await asyncio.sleep(1)

    async def handle(self, value: bytes | None) -> api.AlertView | None:
        """Turn one record into a published change; returns it, or None when there is none to
        publish (another kind of event, a change already published, or an unusable record)."""
        env: ev.EventEnvelope | None = None
        try:
            env = decode_event(value or b"")
            view = await self._view_for(env)
        except Exception as e:  # one unusable record never stops the live feed (the projection
            # dead-letters it, so it is kept, not lost)
            log.error("skipping unusable alert event %s: %r", env.event_id if env else "?", e)
            return None
        if view is not None:
            self._publish(view)
        return view

    async def _view_for(self, env: ev.EventEnvelope) -> api.AlertView | None:
        kind = env.WhichOneof("payload")
        at = env.occurred_at.ToDatetime(tzinfo=UTC)
        if kind in ("alert_raised", "alert_updated"):
            alert: ev.Alert = getattr(env, kind).alert
            if not alert.alert_id:
                raise ValueError(f"{kind} without an alert id")
            cached = self._cache.get(alert.alert_id)
            if cached is not None and alert.revision <= cached.alert.revision:
                return None  # republished or redelivered: already published
            # The read model's status may be newer than the alert's last revision (staff acted).
            return restated(cached or await self._stored(alert.alert_id), alert, at)
        if kind in _STATUS_CHANGES:
            change = getattr(env, kind)
            note = closing_note(change.resolution, change.note) if kind == "alert_closed" else change.note
            status = _STATUS_CHANGES[kind]
            cached = self._cache.get(change.alert_id)
            if cached is not None:
                return with_status(cached, status, by=change.staff_id, note=note, at=at)
            stored = await self._stored(change.alert_id)
            if stored is None or not is_raised(stored):
                log.warning("%s for alert %s, which the read model does not know yet", kind, change.alert_id)
                return None
            # Not published by this feed yet: the read model may already hold this very change.
            return with_status(stored, status, by=change.staff_id, note=note, at=at) or stored
        return None

    async def _stored(self, alert_id: str) -> api.AlertView | None:
        try:
            return await self._store.get(alert_id)
        except VerifierError as e:  # the read model is down: the live change is still worth sending
            log.warning("alert %s: read model unavailable (%s); its status is taken as open", alert_id, e)
            return None

    def _publish(self, view: api.AlertView) -> None:
        alert_id = view.alert.alert_id
        self._cache[alert_id] = view
        self._cache.move_to_end(alert_id)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        for subscription in list(self._subscribers):
            if not subscription.offer(view):
                self._subscribers.discard(subscription)
                log.warning("ended an alert watcher that fell %d changes behind", self._queue_size)

    def _end_all(self, error: VerifierError) -> None:
        self._running = False
        for subscription in self._subscribers:
            subscription.end(error)
        self._subscribers.clear()

    def _report_end(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        log.error("alert feed stopped: %r; live alerts are no longer sent", task.exception())
        self._end_all(AlertFeedStopped("the live alert feed failed; reconnect"))
