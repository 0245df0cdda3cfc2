"""Misuse alerts over real gRPC, Kafka and Redis: list, watch, acknowledge, close, idempotence.

Alerts are written straight to the alerts topic with the verifier's own KafkaEventLog, as the
monitor would; a verifier process and a Faust worker serve the module's gRPC tests, each of which
names its own rule, so it sees only its own alerts. Two tests need to look inside: the projection
against Redis directly (a race between workers), and a verifier started in this process (a
cancelled stream must release its subscription; shutdown must end open streams).

Where a test asserts that something did *not* arrive, the events involved are written to one
partition and followed by one that must arrive: the feed and the projection both read a
partition in order, so once that one is seen the others were handled. Nothing waits with a
sleep: list answers are polled with a deadline, streamed notices are taken from a queue with a
timeout.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc
import pytest
import redis
import redis.asyncio as aioredis
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from kafka.partitioner.default import murmur2

from infra.local.procs import wait_until
from infra.local.redis_server import RedisServer
from projections.alerts import model
from projections.store import Position, ProjectionStore
from tests.support import stack as shared
from tests.support.kafka_state import end_offsets
from verifier.adapters.alert_store import AlertStore
from verifier.adapters.kafka_log import KafkaEventLog
from verifier.bootstrap import start_verifier
from verifier.events import envelopes as events
from verifier.ports import Recorded
from verifier.readmodel.alerts import RECENT_KEY, alert_key, encode_view
from verifier.settings import Settings

PARTITIONS = 2
OPEN, ACK, CLOSED = api.ALERT_STATUS_OPEN, api.ALERT_STATUS_ACKNOWLEDGED, api.ALERT_STATUS_CLOSED
NOW = datetime.now(UTC).replace(microsecond=0)


def new_alert(
    rule: str,
    *,
    alert_id: str = "",
    revision: int = 1,
    severity: ev.Severity = ev.SEVERITY_HIGH,
    facilities: tuple[str, ...] = ("01-001",),
    summary: str = "",
) -> ev.Alert:
    return ev.Alert(
        alert_id=alert_id or f"al-{uuid.uuid4().hex[:12]}",
        revision=revision,
        rule=rule,
        severity=severity,
        subject_kind="person",
        subject="4016354956",
        facility_ids=list(facilities),
        provinces=sorted({f.split("-")[0] for f in facilities}),
        evidence=[ev.Evidence(event_id=str(uuid.uuid4()), kind="check_in", facility_id=facilities[0])],
        evidence_count=1,
        summary=summary or f"{rule} revision {revision}",
    )


def raised(alert: ev.Alert, at: datetime) -> ev.EventEnvelope:
    """AlertRaised for revision 1, AlertUpdated after, as the monitor writes them."""
    env = events.envelope(key=alert.alert_id, at=at, producer="monitor")
    (env.alert_raised if alert.revision == 1 else env.alert_updated).alert.CopyFrom(alert)
    return env


def ids_in_one_partition(count: int) -> list[str]:
    """Alert ids whose records land in the same partition (Kafka's default murmur2 partitioner)."""
    ids: list[str] = []
    while len(ids) < count:
        candidate = f"al-{uuid.uuid4().hex[:12]}"
        if (murmur2(candidate.encode()) & 0x7FFFFFFF) % PARTITIONS == 0:
            ids.append(candidate)
    return ids


def unique_rule(name: str) -> str:
    return f"{name}_{uuid.uuid4().hex[:6]}"


class Watch:
    """A WatchAlerts stream read by a thread into a queue, so a test waits for a notice with a
    timeout; the stream's end (an RpcError) is queued too."""

    def __init__(self, stub: api_grpc.MonitoringStub, flt: api.AlertFilter, replay: int = 0) -> None:
        self.call = stub.WatchAlerts(api.WatchAlertsRequest(filter=flt, replay=replay), timeout=120)
        self._items: queue.Queue[api.AlertNotice | grpc.RpcError] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for notice in self.call:
                self._items.put(notice)
        except grpc.RpcError as e:
            self._items.put(e)

    def next(self, timeout: float = 30) -> api.AlertNotice:
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no alert notice within {timeout}s") from None
        if isinstance(item, grpc.RpcError):
            raise item
        return item

    def cancel(self) -> None:
        self.call.cancel()
        self._thread.join(10)


@dataclass(kw_only=True)
class Stack(shared.Stack):
    log: KafkaEventLog

    def write(self, env: ev.EventEnvelope) -> Recorded:
        return asyncio.run(self.log.append_envelope(env))

    def alerts(self, flt: api.AlertFilter | None = None, limit: int = 0) -> list[api.AlertView]:
        request = api.ListAlertsRequest(filter=flt or api.AlertFilter(), limit=limit)
        return list(self.monitoring.ListAlerts(request, timeout=10).alerts)

    def wait_listed(
        self, flt: api.AlertFilter, ready: Callable[[list[api.AlertView]], bool], what: str
    ) -> list[api.AlertView]:
        seen: list[api.AlertView] = []

        def check() -> bool:
            seen[:] = self.alerts(flt)
            return ready(seen)

        wait_until(check, timeout=60, what=what)
        return seen

    def action(
        self, alert_id: str, staff_id: str = "nv-01", note: str = "", resolution: str = ""
    ) -> api.AlertActionRequest:
        return api.AlertActionRequest(alert_id=alert_id, staff_id=staff_id, note=note, resolution=resolution)


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("alr", topic_partitions=PARTITIONS)
    event_log = KafkaEventLog.connect(settings)
    try:
        with Stack.running(settings, stacks.log_dir(), worker=True, log=event_log) as stack:
            yield stack
    finally:
        event_log.close()


def ids(views: list[api.AlertView]) -> list[str]:
    return [v.alert.alert_id for v in views]


def test_list_is_newest_first_and_filtered(stack: Stack) -> None:
    rule = unique_rule("list")
    a = new_alert(rule, severity=ev.SEVERITY_LOW, facilities=("01-001",))
    b = new_alert(rule, severity=ev.SEVERITY_HIGH, facilities=("79-001",))
    c = new_alert(rule, severity=ev.SEVERITY_CRITICAL, facilities=("01-002", "79-001"))
    for i, alert in enumerate((a, b, c)):
        stack.write(raised(alert, NOW - timedelta(minutes=10 - i)))

    everything = stack.wait_listed(api.AlertFilter(rule=rule), lambda v: len(v) == 3, "three alerts listed")

    assert ids(everything) == [c.alert_id, b.alert_id, a.alert_id]
    assert all(v.status == OPEN for v in everything)
    assert everything[0].alert == c  # the whole alert, evidence included
    assert everything[0].updated_at.ToDatetime(tzinfo=UTC) == NOW - timedelta(minutes=8)
    assert ids(stack.alerts(api.AlertFilter(rule=rule, province="79"))) == [c.alert_id, b.alert_id]
    assert ids(stack.alerts(api.AlertFilter(rule=rule, facility_id="01-001"))) == [a.alert_id]
    assert ids(stack.alerts(api.AlertFilter(rule=rule, min_severity=ev.SEVERITY_HIGH))) == [
        c.alert_id,
        b.alert_id,
    ]
    assert ids(stack.alerts(api.AlertFilter(rule=rule), limit=2)) == [c.alert_id, b.alert_id]
    assert stack.alerts(api.AlertFilter(rule=rule, province="48")) == []


def test_watch_replays_oldest_first_then_streams_matching_live_alerts(stack: Stack) -> None:
    rule = unique_rule("watch")
    first, second = new_alert(rule), new_alert(rule, facilities=("79-001",))
    low = new_alert(rule, severity=ev.SEVERITY_LOW)
    stack.write(raised(first, NOW - timedelta(minutes=5)))
    stack.write(raised(second, NOW - timedelta(minutes=4)))
    stack.write(raised(low, NOW - timedelta(minutes=3)))
    stack.wait_listed(api.AlertFilter(rule=rule), lambda v: len(v) == 3, "history projected")

    watch = Watch(stack.monitoring, api.AlertFilter(rule=rule, min_severity=ev.SEVERITY_MEDIUM))
    try:
        replayed = [watch.next(), watch.next()]
        assert [(n.alert.alert.alert_id, n.replayed) for n in replayed] == [
            (first.alert_id, True),
            (second.alert_id, True),
        ]
        # Written after the stream opened (the first replayed notice proves the subscription):
        # two that the filter leaves out, then one it lets through, all in one partition.
        too_low_id, other_rule_id, live_id = ids_in_one_partition(3)
        where = [
            stack.write(raised(new_alert(rule, alert_id=too_low_id, severity=ev.SEVERITY_LOW), NOW)),
            stack.write(raised(new_alert(unique_rule("other"), alert_id=other_rule_id), NOW)),
            stack.write(raised(new_alert(rule, alert_id=live_id, severity=ev.SEVERITY_CRITICAL), NOW)),
        ]
        assert len({w.partition for w in where}) == 1
        live = watch.next()
        assert (live.alert.alert.alert_id, live.replayed, live.alert.status) == (live_id, False, OPEN)
        assert live.alert.alert.severity == ev.SEVERITY_CRITICAL
    finally:
        watch.cancel()


def test_acknowledge_and_close_show_in_list_and_live(stack: Stack) -> None:
    rule = unique_rule("act")
    alert = new_alert(rule)
    stack.write(raised(alert, NOW - timedelta(minutes=1)))
    stack.wait_listed(api.AlertFilter(rule=rule), lambda v: len(v) == 1, "alert projected")
    watch = Watch(stack.monitoring, api.AlertFilter(rule=rule), replay=5)
    try:
        assert watch.next().alert.status == OPEN

        acked = stack.monitoring.AcknowledgeAlert(
            stack.action(alert.alert_id, "nv-01", "checking"), timeout=15
        )
        assert (acked.status, acked.status_by, acked.status_note) == (ACK, "nv-01", "checking")
        assert acked.alert == alert
        notice = watch.next()
        assert (notice.alert.alert.alert_id, notice.alert.status, notice.replayed) == (
            alert.alert_id,
            ACK,
            False,
        )
        assert notice.alert.status_by == "nv-01"
        stack.wait_listed(
            api.AlertFilter(rule=rule),
            lambda v: len(v) == 1 and v[0].status == ACK,
            "acknowledgement projected",
        )

        closing = stack.action(alert.alert_id, "nv-02", "patient's twin", resolution="false alarm")
        done = stack.monitoring.CloseAlert(closing, timeout=15)
        assert (done.status, done.status_by, done.status_note) == (
            CLOSED,
            "nv-02",
            "false alarm: patient's twin",
        )
        notice = watch.next()  # told of the closure although the filter leaves closed alerts out
        assert (notice.alert.status, notice.alert.status_by) == (CLOSED, "nv-02")
    finally:
        watch.cancel()

    stack.wait_listed(api.AlertFilter(rule=rule), lambda v: v == [], "closed alert left out")
    [kept] = stack.alerts(api.AlertFilter(rule=rule, include_closed=True))
    assert (kept.status, kept.status_by, kept.alert.revision) == (CLOSED, "nv-02", 1)
    # Acknowledging a closed alert changes nothing and says who closed it.
    again = stack.monitoring.AcknowledgeAlert(stack.action(alert.alert_id, "nv-03"), timeout=15)
    assert (again.status, again.status_by) == (CLOSED, "nv-02")


@pytest.mark.parametrize(
    ("rpc", "request_fields", "code", "message"),
    [
        (
            "AcknowledgeAlert",
            {"alert_id": "al-nobody", "staff_id": "nv-01"},
            grpc.StatusCode.NOT_FOUND,
            "050",
        ),
        ("CloseAlert", {"alert_id": "al-nobody", "staff_id": "nv-01"}, grpc.StatusCode.NOT_FOUND, "050"),
        (
            "AcknowledgeAlert",
            {"alert_id": "", "staff_id": "nv-01"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "alert_id",
        ),
        ("AcknowledgeAlert", {"alert_id": "al-1"}, grpc.StatusCode.INVALID_ARGUMENT, "staff_id"),
        ("CloseAlert", {"alert_id": "al-1", "staff_id": " "}, grpc.StatusCode.INVALID_ARGUMENT, "staff_id"),
        (
            "AcknowledgeAlert",
            {"alert_id": "al-1", "staff_id": "nv-01", "note": "x" * 1001},
            grpc.StatusCode.INVALID_ARGUMENT,
            "note",
        ),
    ],
)
def test_refused_actions_are_clear_errors_and_record_nothing(
    stack: Stack, rpc: str, request_fields: dict[str, str], code: grpc.StatusCode, message: str
) -> None:
    before = end_offsets(stack.settings)
    with pytest.raises(grpc.RpcError) as info:
        getattr(stack.monitoring, rpc)(api.AlertActionRequest(**request_fields), timeout=10)
    assert info.value.code() is code
    assert message in info.value.details() and "Traceback" not in info.value.details()
    assert end_offsets(stack.settings) == before


def test_republished_and_redelivered_events_leave_one_alert_at_its_revision(stack: Stack) -> None:
    rule = unique_rule("dup")
    witness = new_alert(rule, severity=ev.SEVERITY_LOW)
    stack.write(raised(witness, NOW - timedelta(minutes=30)))
    stack.wait_listed(api.AlertFilter(rule=rule), lambda v: len(v) == 1, "witness projected")
    watch = Watch(stack.monitoring, api.AlertFilter(rule=rule))
    try:
        assert watch.next().alert.alert.alert_id == witness.alert_id  # subscribed

        alert_id, sentinel_id = ids_in_one_partition(2)
        r1 = raised(new_alert(rule, alert_id=alert_id, revision=1), NOW - timedelta(minutes=3))
        r2 = raised(new_alert(rule, alert_id=alert_id, revision=2, summary="two"), NOW - timedelta(minutes=2))
        # After a crash the monitor publishes revision 2 again: a new event, the same fact.
        r2_again = raised(new_alert(rule, alert_id=alert_id, revision=2, summary="two again"), NOW)
        where = [stack.write(e) for e in (r1, r2, r2_again, r1, r2)]  # and r1, r2 redelivered as they were
        where.append(stack.write(raised(new_alert(rule, alert_id=sentinel_id), NOW - timedelta(minutes=1))))
        assert len({w.partition for w in where}) == 1

        got = [watch.next() for _ in range(3)]
        assert [(n.alert.alert.alert_id, n.alert.alert.revision) for n in got] == [
            (alert_id, 1),
            (alert_id, 2),
            (sentinel_id, 1),
        ]
        assert got[1].alert.alert.summary == "two"
    finally:
        watch.cancel()

    # The sentinel follows every copy in the same partition: once it is listed, they were all applied.
    listed = stack.wait_listed(
        api.AlertFilter(rule=rule), lambda v: sentinel_id in ids(v), "sentinel projected after the copies"
    )
    assert sorted(ids(listed)) == sorted([alert_id, sentinel_id, witness.alert_id])
    [held] = [v for v in listed if v.alert.alert_id == alert_id]
    assert (held.alert.revision, held.alert.summary, held.status) == (2, "two", OPEN)
    assert held.updated_at.ToDatetime(tzinfo=UTC) == NOW - timedelta(minutes=2)  # the first revision 2's time


async def test_projection_applies_each_fact_once_and_folds_again_after_a_race(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The projection against Redis directly: replaying a batch changes nothing, the recent list
    is trimmed while records stay readable, and an alert another worker changes between this
    worker's read and write is read and folded again rather than overwritten."""
    client = aioredis.from_url(redis_server.url, decode_responses=True)
    await client.flushdb()
    store = ProjectionStore(client)
    a = new_alert("direct", alert_id="al-direct")
    ack = events.alert_acknowledged("al-direct", staff_id="nv", note="", at=NOW, producer="t")
    batch = [
        (Position("t", 0, 1), raised(a, NOW - timedelta(minutes=2))),
        (Position("t", 0, 2), ack),
        (Position("t", 0, 3), raised(new_alert("direct", alert_id="al-other"), NOW - timedelta(minutes=1))),
    ]
    try:
        assert await model.apply_batch(store, batch, recent_size=1) == 2
        keys = (alert_key("al-direct"), alert_key("al-other"))
        state = {key: await client.hgetall(key) for key in keys}
        assert (state[keys[0]]["r"], state[keys[0]]["s"]) == ("1", str(ACK))
        assert await client.zrange(RECENT_KEY, 0, -1) == ["al-direct"]  # the newest change only
        assert await AlertStore(client).get("al-other") is not None  # trimmed from the list, not gone

        assert await model.apply_batch(store, batch, recent_size=1) == 0
        assert {key: await client.hgetall(key) for key in keys} == state

        # Another worker writes revision 2 just after this one has read the record.
        other_worker = redis.Redis.from_url(redis_server.url, decode_responses=True)
        raced = threading.Event()
        real_decode = model.decode_view

        def decode_then_race(text: str) -> api.AlertView:
            view = real_decode(text)
            if not raced.is_set():
                raced.set()
                theirs = api.AlertView(
                    alert=new_alert("direct", alert_id="al-direct", revision=2), status=ACK
                )
                theirs.updated_at.FromDatetime(NOW)
                other_worker.hset(keys[0], mapping={"v": encode_view(theirs), "r": "2", "s": str(ACK)})
            return view

        monkeypatch.setattr(model, "decode_view", decode_then_race)
        closing = events.alert_closed(
            "al-direct",
            staff_id="nv-2",
            resolution="ok",
            note="",
            at=NOW + timedelta(seconds=1),
            producer="t",
        )
        assert await model.apply_batch(store, [(Position("t", 0, 4), closing)], recent_size=10) == 1
        other_worker.close()
        held = await AlertStore(client).get("al-direct")
        assert raced.is_set() and held is not None
        assert (held.alert.revision, held.status, held.status_by) == (2, CLOSED, "nv-2")  # both kept
    finally:
        await client.aclose()


async def _eventually(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)
    assert check(), what


async def test_a_cancelled_watch_releases_its_subscription_and_shutdown_ends_streams(
    settings: Settings,
) -> None:
    running = await start_verifier(settings)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{running.port}")
    stub = api_grpc.MonitoringStub(channel)
    stopped = False
    try:
        call = stub.WatchAlerts(api.WatchAlertsRequest())
        await _eventually(lambda: running.alert_feed.watchers == 1, "watch subscribed")
        call.cancel()
        await _eventually(lambda: running.alert_feed.watchers == 0, "subscription released on cancel")

        ended = stub.WatchAlerts(api.WatchAlertsRequest())
        await _eventually(lambda: running.alert_feed.watchers == 1, "second watch subscribed")
        await running.stop()
        stopped = True
        with pytest.raises(grpc.aio.AioRpcError) as info:
            await ended.read()
        assert info.value.code() is grpc.StatusCode.UNAVAILABLE
        assert "alert feed stopped" in (info.value.details() or "")
    finally:
        await channel.close()
        if not stopped:
            await running.stop()
