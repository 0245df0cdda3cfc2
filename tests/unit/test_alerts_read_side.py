"""The read side of misuse alerts, without servers: filters, status order, the projection's fold,
the live feed's turning of events into views, watcher queues, and the monitoring use cases."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev
from hypothesis import given
from hypothesis import strategies as st

from projections.alerts.model import change_of, evolve
from tests.support.fakes import FakeEventLog
from verifier.adapters.alert_feed import AlertFeed, AlertFeedStopped, SubscriberTooSlow, Subscription
from verifier.errors import BadRequest, NotFound
from verifier.events import envelopes as events
from verifier.readmodel.alerts import decode_view, encode_view, matches, revised, with_status
from verifier.service.monitoring import MonitoringService, bounded_count
from verifier.settings import Settings

AT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
OPEN, ACK, CLOSED = api.ALERT_STATUS_OPEN, api.ALERT_STATUS_ACKNOWLEDGED, api.ALERT_STATUS_CLOSED


def alert(alert_id: str = "al-1", revision: int = 1, **fields: Any) -> ev.Alert:
    values: dict[str, Any] = {
        "rule": "two_facilities",
        "severity": ev.SEVERITY_HIGH,
        "subject_kind": "person",
        "subject": "4016354956",
        "facility_ids": ["01-001", "79-001"],
        "provinces": ["01", "79"],
        "summary": f"revision {revision}",
        **fields,
    }
    return ev.Alert(alert_id=alert_id, revision=revision, **values)


def view(a: ev.Alert | None = None, status: api.AlertStatus = OPEN) -> api.AlertView:
    v = api.AlertView(alert=a or alert(), status=status)
    v.updated_at.FromDatetime(AT)
    return v


def raised(a: ev.Alert, at: datetime = AT, *, updated: bool = False) -> ev.EventEnvelope:
    env = events.envelope(key=a.alert_id, at=at, producer="monitor")
    (env.alert_updated if updated else env.alert_raised).alert.CopyFrom(a)
    return env


def acknowledged(alert_id: str = "al-1", at: datetime = AT, staff: str = "nv-01") -> ev.EventEnvelope:
    return events.alert_acknowledged(alert_id, staff_id=staff, note="looking", at=at, producer="t")


def closed(alert_id: str = "al-1", at: datetime = AT, staff: str = "nv-02") -> ev.EventEnvelope:
    return events.alert_closed(
        alert_id, staff_id=staff, resolution="false alarm", note="twins", at=at, producer="t"
    )


# ---- filters and status order ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (api.AlertFilter(), True),
        (api.AlertFilter(province="79"), True),  # any of the alert's provinces
        (api.AlertFilter(province="01"), True),
        (api.AlertFilter(province="48"), False),
        (api.AlertFilter(facility_id="79-001"), True),
        (api.AlertFilter(facility_id="79-002"), False),
        (api.AlertFilter(rule="two_facilities"), True),
        (api.AlertFilter(rule="two_facilitie"), False),  # exact, not a prefix
        (api.AlertFilter(min_severity=ev.SEVERITY_HIGH), True),  # at least, inclusive
        (api.AlertFilter(min_severity=ev.SEVERITY_CRITICAL), False),
        (api.AlertFilter(province="79", facility_id="01-001", rule="two_facilities"), True),
        (api.AlertFilter(province="79", rule="facility_rate"), False),  # every field must hold
    ],
)
def test_filter_fields(flt: api.AlertFilter, expected: bool) -> None:
    assert matches(view(), flt) is expected


def test_closed_alerts_are_left_out_unless_asked_for() -> None:
    for status in (OPEN, ACK):
        assert matches(view(status=status), api.AlertFilter())
    assert not matches(view(status=CLOSED), api.AlertFilter())
    assert matches(view(status=CLOSED), api.AlertFilter(include_closed=True))


def test_status_only_moves_forward() -> None:
    for current, target in itertools.product((OPEN, ACK, CLOSED), repeat=2):
        moved = with_status(view(status=current), target, by="nv", note="", at=AT + timedelta(1))
        if target > current:
            assert moved is not None and moved.status == target and moved.status_by == "nv"
            assert moved.updated_at.ToDatetime(tzinfo=UTC) == AT + timedelta(1)
        else:
            assert moved is None, (current, target)


def test_a_new_revision_keeps_the_status_and_an_old_or_equal_one_is_refused() -> None:
    acked = with_status(view(alert(revision=2)), ACK, by="nv-01", note="seen", at=AT)
    assert acked is not None
    newer = revised(acked, alert(revision=3, summary="more"), AT + timedelta(minutes=1))
    assert newer is not None
    assert (newer.alert.revision, newer.alert.summary) == (3, "more")
    assert (newer.status, newer.status_by, newer.status_note) == (ACK, "nv-01", "seen")
    assert revised(acked, alert(revision=2, summary="republished"), AT) is None
    assert revised(acked, alert(revision=1), AT) is None
    assert revised(None, alert(revision=1), AT) == view(alert(revision=1))


def test_view_encoding_round_trips_and_refuses_garbage() -> None:
    v = view(alert(evidence=[ev.Evidence(event_id="e1", kind="check_in", detail="rejected 010")]))
    assert decode_view(encode_view(v)) == v
    with pytest.raises(ValueError):
        decode_view("not base64!")


# ---- the projection's fold ---------------------------------------------------------------------


def fold(envelopes: list[ev.EventEnvelope]) -> api.AlertView | None:
    state: api.AlertView | None = None
    for env in envelopes:
        change = change_of(env)
        assert change is not None
        state = evolve(state, change)
    return state


def test_fold_of_an_alert_life() -> None:
    state = fold(
        [raised(alert(revision=1)), acknowledged(), raised(alert(revision=2), updated=True), closed()]
    )
    assert state is not None
    assert (state.alert.revision, state.status, state.status_by) == (2, CLOSED, "nv-02")
    assert state.status_note == "false alarm: twins"


def test_an_event_not_newer_returns_the_same_state_object() -> None:
    state = fold([raised(alert(revision=2), updated=True), closed()])
    assert state is not None
    for env in (
        raised(alert(revision=2, summary="again")),
        raised(alert(revision=1)),
        acknowledged(),
        closed(),
    ):
        change = change_of(env)
        assert change is not None
        assert evolve(state, change) is state  # the writer skips an unchanged alert on this


def test_acknowledged_before_raised_is_kept_and_shows_once_raised() -> None:
    stub = fold([acknowledged()])
    assert stub is not None and stub.alert.revision == 0 and stub.status == ACK
    state = fold([acknowledged(), raised(alert(revision=1))])
    assert state is not None and (state.alert.revision, state.status, state.status_by) == (1, ACK, "nv-01")


def test_unusable_alert_events_are_refused_and_others_ignored() -> None:
    with pytest.raises(ValueError):
        change_of(raised(alert(alert_id="")))
    with pytest.raises(ValueError):
        change_of(raised(alert(revision=0)))
    with pytest.raises(ValueError):
        change_of(acknowledged(alert_id=""))
    other = events.envelope(key="kid:00", at=AT, producer="t")
    other.signing_key_revoked.kid = "00"
    assert change_of(other) is None


LIFE = [
    raised(alert(revision=1), AT),
    raised(alert(revision=2), AT + timedelta(minutes=1), updated=True),
    acknowledged(at=AT + timedelta(minutes=2)),
    closed(at=AT + timedelta(minutes=3)),
]


@given(st.lists(st.sampled_from(range(len(LIFE))), min_size=1).flatmap(st.permutations))
def test_any_order_and_any_redelivery_folds_to_the_same_revision_and_status(order: list[int]) -> None:
    """Redelivered and republished events, in any order: the revision and status that result are
    the highest ones delivered, and a closure's author is never overwritten by a late ack."""
    state = fold([LIFE[i] for i in order])
    assert state is not None
    delivered = set(order)
    revision = max((i + 1 for i in delivered if i < 2), default=0)
    status = max(({2: ACK, 3: CLOSED}[i] for i in delivered if i >= 2), default=OPEN)
    assert (state.alert.revision, state.status) == (revision, status)
    if status == CLOSED:
        assert state.status_by == "nv-02"


# ---- watcher queues and the live feed ----------------------------------------------------------


async def test_a_subscription_hands_over_in_order_then_raises_its_end() -> None:
    sub = Subscription(limit=3)
    assert sub.offer(view(alert("a"))) and sub.offer(view(alert("b")))
    sub.end(AlertFeedStopped("bye"))
    assert [(await sub.next()).alert.alert_id for _ in range(2)] == ["a", "b"]
    with pytest.raises(AlertFeedStopped):
        await sub.next()
    assert not sub.offer(view(alert("c")))


async def test_a_subscriber_too_far_behind_is_ended_without_blocking() -> None:
    sub = Subscription(limit=2)
    assert sub.offer(view(alert("a"))) and sub.offer(view(alert("b")))
    assert not sub.offer(view(alert("c")))  # returns at once: the feed never waits for a watcher
    with pytest.raises(SubscriberTooSlow, match="behind"):
        await sub.next()


async def test_a_waiting_subscriber_wakes_on_a_change() -> None:
    sub = Subscription(limit=2)
    waiting = asyncio.create_task(sub.next())
    await asyncio.sleep(0)
    assert not waiting.done()
    sub.offer(view(alert("a")))
    assert (await asyncio.wait_for(waiting, 1)).alert.alert_id == "a"


@dataclass
class FakeStore:
    views: dict[str, api.AlertView] = field(default_factory=dict)
    reads: int = 0
    watchers_at_read: list[int] = field(default_factory=list)
    feed: FakeFeed | None = None

    async def get(self, alert_id: str) -> api.AlertView | None:
        self.reads += 1
        return self.views.get(alert_id)

    async def recent(self, flt: api.AlertFilter, limit: int) -> list[api.AlertView]:
        if self.feed is not None:
            self.watchers_at_read.append(len(self.feed.subscriptions))
        ordered = sorted(self.views.values(), key=lambda v: v.updated_at.ToDatetime(), reverse=True)
        return [v for v in ordered if matches(v, flt)][:limit]


def feed_with(store: FakeStore, *, queue_size: int = 100) -> AlertFeed:
    feed = AlertFeed(Settings(), store, queue_size=queue_size)
    feed._running = True  # as after start(), without a broker: only record handling is tested here
    return feed


async def test_feed_turns_events_into_views_and_drops_republished_revisions() -> None:
    feed = feed_with(FakeStore())
    with feed.subscribe() as sub:
        assert feed.watchers == 1
        first = await feed.handle(raised(alert(revision=1)).SerializeToString())
        assert first is not None and first.status == OPEN
        assert await feed.handle(raised(alert(revision=1, summary="again")).SerializeToString()) is None
        acked = await feed.handle(acknowledged().SerializeToString())
        assert acked is not None
        assert (acked.alert.revision, acked.status, acked.status_by) == (1, ACK, "nv-01")
        assert await feed.handle(acknowledged(staff="nv-09").SerializeToString()) is None  # not forward
        update = await feed.handle(raised(alert(revision=2), updated=True).SerializeToString())
        assert update is not None and (update.alert.revision, update.status) == (2, ACK)  # status kept
        got = [await sub.next() for _ in range(3)]
    assert [(v.alert.revision, v.status) for v in got] == [(1, OPEN), (1, ACK), (2, ACK)]
    assert feed.watchers == 0


async def test_feed_takes_the_last_known_status_from_the_read_model_when_not_cached() -> None:
    store = FakeStore({"al-1": view(alert(revision=3), status=ACK)})
    feed = feed_with(store)
    update = await feed.handle(raised(alert(revision=4), updated=True).SerializeToString())
    assert update is not None and (update.alert.revision, update.status) == (4, ACK)
    store.views["al-2"] = view(alert("al-2", revision=1), status=CLOSED)  # projection already closed it
    close = await feed.handle(closed("al-2").SerializeToString())
    assert close is not None and close.status == CLOSED  # still published: this feed had not sent it
    assert await feed.handle(acknowledged("al-unknown").SerializeToString()) is None


async def test_feed_skips_unusable_records_and_keeps_going() -> None:
    feed = feed_with(FakeStore())
    assert await feed.handle(b"\xff\xffnot protobuf") is None
    assert await feed.handle(None) is None
    assert await feed.handle(raised(alert(alert_id="")).SerializeToString()) is None
    assert await feed.handle(raised(alert()).SerializeToString()) is not None


async def test_feed_ends_a_slow_watcher_and_serves_the_others() -> None:
    feed = feed_with(FakeStore(), queue_size=2)
    with feed.subscribe() as slow, feed.subscribe() as fast:
        for revision in (1, 2, 3):
            await feed.handle(raised(alert(revision=revision), updated=revision > 1).SerializeToString())
            assert (await fast.next()).alert.revision == revision
        assert feed.watchers == 1
        with pytest.raises(SubscriberTooSlow):
            await slow.next()


async def test_a_stopped_feed_ends_its_watchers_and_takes_no_new_ones() -> None:
    feed = feed_with(FakeStore())
    with feed.subscribe() as sub:
        await feed.stop()
        with pytest.raises(AlertFeedStopped):
            await sub.next()
    with pytest.raises(AlertFeedStopped), feed.subscribe():
        pass


# ---- the monitoring use cases ------------------------------------------------------------------


@dataclass
class FakeFeed:
    subscriptions: list[Subscription] = field(default_factory=list)

    @contextmanager
    def subscribe(self) -> Iterator[Subscription]:
        sub = Subscription(100)
        self.subscriptions.append(sub)
        try:
            yield sub
        finally:
            self.subscriptions.remove(sub)

    def latest(self, alert_id: str) -> api.AlertView | None:
        return None


def service(
    store: FakeStore, log: FakeEventLog | None = None, feed: FakeFeed | None = None
) -> MonitoringService:
    return MonitoringService(
        store=store, feed=feed or FakeFeed(), event_log=log or FakeEventLog(), clock=lambda: AT
    )


def test_counts_default_and_cap() -> None:
    assert (bounded_count(0), bounded_count(7), bounded_count(5000)) == (50, 7, 1000)


async def test_acknowledge_records_an_event_and_answers_with_the_new_status() -> None:
    log = FakeEventLog()
    answer = await service(FakeStore({"al-1": view()}), log).acknowledge(" al-1 ", "nv-01", "on it")
    assert (answer.status, answer.status_by, answer.status_note) == (ACK, "nv-01", "on it")
    [event] = log.envelopes()
    assert event.key == "al-1" and event.alert_acknowledged == ev.AlertAcknowledged(
        alert_id="al-1", staff_id="nv-01", note="on it"
    )


async def test_close_records_resolution_and_note() -> None:
    log = FakeEventLog()
    svc = service(FakeStore({"al-1": view(status=ACK)}), log)
    answer = await svc.close("al-1", "nv-02", "false alarm", "")
    assert (answer.status, answer.status_note) == (CLOSED, "false alarm")
    assert log.envelopes()[0].alert_closed.resolution == "false alarm"


async def test_an_action_that_would_not_move_the_status_records_nothing() -> None:
    log = FakeEventLog()
    current = with_status(view(), CLOSED, by="nv-02", note="done", at=AT)
    assert current is not None
    answer = await service(FakeStore({"al-1": current}), log).acknowledge("al-1", "nv-03", "")
    assert answer == current and log.appended == []


@pytest.mark.parametrize(
    ("alert_id", "staff_id", "note", "error"),
    [
        ("", "nv-01", "", BadRequest),
        ("  ", "nv-01", "", BadRequest),
        ("al-1", "", "", BadRequest),
        ("al-1", "nv-01", "x" * 1001, BadRequest),
        ("al-unknown", "nv-01", "", NotFound),
    ],
)
async def test_refused_actions_record_nothing(
    alert_id: str, staff_id: str, note: str, error: type[Exception]
) -> None:
    log = FakeEventLog()
    svc = service(FakeStore({"al-1": view()}), log)
    with pytest.raises(error):
        await svc.acknowledge(alert_id, staff_id, note)
    with pytest.raises(error):
        await svc.close(alert_id, staff_id, "", note)
    assert log.appended == []


async def test_a_note_of_exactly_the_limit_is_accepted() -> None:
    answer = await service(FakeStore({"al-1": view()})).acknowledge("al-1", "nv-01", "x" * 1000)
    assert answer.status == ACK


async def test_watch_replays_oldest_first_then_sends_live_changes_once() -> None:
    old, new = view(alert("a")), view(alert("b"))
    new.updated_at.FromDatetime(AT + timedelta(minutes=1))
    feed = FakeFeed()
    store = FakeStore({"a": old, "b": new}, feed=feed)
    flt = api.AlertFilter(min_severity=ev.SEVERITY_MEDIUM)
    watch = service(store, feed=feed).watch_alerts(flt, 0)
    first = await watch.__anext__()
    assert store.watchers_at_read == [1]  # subscribed before the history was read
    [sub] = feed.subscriptions
    assert (first.alert.alert.alert_id, first.replayed) == ("a", True)
    assert (await watch.__anext__()).alert.alert.alert_id == "b"
    low = view(alert("c", severity=ev.SEVERITY_LOW))
    for change in (new, low, view(alert("b", revision=2))):  # `new` again: already replayed
        sub.offer(change)
    live = await watch.__anext__()
    assert (live.alert.alert.alert_id, live.alert.alert.revision, live.replayed) == ("b", 2, False)
    await watch.aclose()
    assert feed.subscriptions == []


async def test_watch_filters_live_changes_but_tells_of_a_closure_once() -> None:
    feed = FakeFeed()
    flt = api.AlertFilter(min_severity=ev.SEVERITY_MEDIUM)
    watch = service(FakeStore(), feed=feed).watch_alerts(flt, 10)
    pending = asyncio.ensure_future(watch.__anext__())
    await asyncio.sleep(0)
    [sub] = feed.subscriptions
    closed_view = view(alert("a", revision=2), status=CLOSED)
    for change in (
        view(alert("low", severity=ev.SEVERITY_LOW)),
        view(alert("low", severity=ev.SEVERITY_LOW), status=CLOSED),  # closed, but never matched
        closed_view,
        view(alert("a", revision=3), status=CLOSED),  # a later revision of a closed alert: left out
        view(alert("z")),
    ):
        sub.offer(change)
    got = [await pending, await watch.__anext__()]
    assert [(n.alert.alert.alert_id, n.alert.status) for n in got] == [("a", CLOSED), ("z", OPEN)]
    await watch.aclose()
