"""Misuse monitoring end to end: check-ins over gRPC, the Faust monitor, alerts on their topic,
the alerts projection, and `ListAlerts` / `WatchAlerts` back over gRPC.

One verifier and one Faust worker serve the module; each test uses its own people, and filters
alerts by their subject, so tests do not see each other's alerts.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import grpc
import pytest
from bhyt.v1 import api_pb2 as api
from bhyt.v1 import events_pb2 as ev

from infra.local.procs import wait_until
from tests.support import stack as shared
from tests.support.kafka_state import all_records, group_caught_up
from tests.support.processes import start_worker


class Stack(shared.Stack):
    def person(self, **fields: str) -> str:
        """A fresh participant, visible in the projection; returns the card number."""
        return self.enrolled(f"GD401{uuid.uuid4().int % 10**10:010d}", registered_facility="01-001", **fields)

    def alerts_for(self, subject: str, rule: str = "") -> list[api.AlertView]:
        request = api.ListAlertsRequest(filter=api.AlertFilter(rule=rule, include_closed=True), limit=1000)
        return [
            a for a in self.monitoring.ListAlerts(request, timeout=10).alerts if a.alert.subject == subject
        ]

    def one_alert(self, subject: str, rule: str) -> api.AlertView:
        found: list[api.AlertView] = []

        def arrived() -> bool:
            found[:] = self.alerts_for(subject, rule)
            return bool(found)

        wait_until(arrived, timeout=30, what=f"{rule} alert for {subject}")
        assert len(found) == 1, found
        return found[0]


@pytest.fixture(scope="module")
def stack(stacks: shared.StackFactory) -> Iterator[Stack]:
    settings = stacks.settings("mon", topic_partitions=2)
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def sin(card: str) -> str:
    return card[-10:]


def test_a_card_at_two_distant_hospitals_raises_one_alert_with_its_check_ins_as_evidence(
    stack: Stack,
) -> None:
    card = stack.person()
    first = stack.client.verify(card, facility_id="01-001", kiosk_id="hn-1")
    second = stack.client.verify(card, facility_id="79-001", kiosk_id="hcm-1")

    view = stack.one_alert(sin(card), "two_facilities")

    alert = view.alert
    assert view.status == api.ALERT_STATUS_OPEN
    assert (alert.severity, alert.subject_kind, alert.revision) == (ev.SEVERITY_HIGH, "person", 2)
    assert list(alert.facility_ids) == ["01-001", "79-001"] and list(alert.provinces) == ["01", "79"]
    assert [e.event_id for e in alert.evidence] == [first.check_in_id, second.check_in_id]
    assert [e.kiosk_id for e in alert.evidence] == ["hn-1", "hcm-1"]
    assert "01-001 and 79-001" in alert.summary
    assert alert.summary_vi.startswith("Khám tại 01-001 và 79-001 cách nhau ")  # Vietnamese, shown first
    # The alert is an event on its own topic, keyed by its id.
    raised = [
        env
        for env in map(ev.EventEnvelope.FromString, all_records(stack.settings, stack.settings.topic_alerts))
        if env.key == alert.alert_id
    ]
    assert [e.WhichOneof("payload") for e in raised] == ["alert_raised"]


def test_more_visits_than_allowed_in_a_day_grow_one_alert(stack: Stack) -> None:
    card = stack.person()
    for _ in range(4):
        stack.client.verify(card, facility_id="01-001")
    view = stack.one_alert(sin(card), "visits_per_day")
    assert view.alert.evidence_count == 4 and view.alert.revision == 4  # the revision counts the evidence

    stack.client.verify(card, facility_id="01-001")

    wait_until(
        lambda: stack.one_alert(sin(card), "visits_per_day").alert.revision == 5,
        timeout=30,
        what="the alert grew",
    )
    grown = stack.one_alert(sin(card), "visits_per_day").alert
    assert grown.evidence_count == 5
    assert grown.summary_vi.startswith("5 lượt khám trong ngày ")  # the revision's own Vietnamese line


def test_an_expired_card_presented_anyway_is_an_alert_and_an_innocent_visit_is_not(stack: Stack) -> None:
    expired = stack.person(valid_from="2020-01-01", valid_to="2021-12-31")
    fine = stack.person()
    decision = stack.client.verify(expired, facility_id="01-001")
    assert decision.result_code == "010"
    stack.client.verify(fine, facility_id="01-001")

    view = stack.one_alert(sin(expired), "known_bad_card")

    assert [e.event_id for e in view.alert.evidence] == [decision.check_in_id]
    assert "010" in view.alert.summary
    assert view.alert.summary_vi.endswith("dù đã được ghi nhận mã 010")
    wait_until(
        lambda: int(stack.client.status(fine).usage.check_ins_total) == 1,
        timeout=30,
        what="innocent visit seen",
    )
    assert stack.alerts_for(sin(fine)) == []


def test_watch_streams_a_new_alert_live_and_acknowledging_it_is_streamed_too(stack: Stack) -> None:
    card = stack.person()
    request = api.WatchAlertsRequest(filter=api.AlertFilter(rule="two_facilities", province="79"))
    stream = stack.monitoring.WatchAlerts(request, timeout=60)
    notices: list[api.AlertNotice] = []
    got_live = threading.Event()
    acked = threading.Event()

    def read() -> None:
        try:
            for notice in stream:
                if notice.alert.alert.subject != sin(card):
                    continue
                notices.append(notice)
                if notice.alert.status == api.ALERT_STATUS_ACKNOWLEDGED:
                    acked.set()
                else:
                    got_live.set()
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.CANCELLED:
                raise

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stack.client.verify(card, facility_id="01-001", kiosk_id="hn-1")
    stack.client.verify(card, facility_id="79-001", kiosk_id="hcm-1")
    assert got_live.wait(30), "no live alert on the stream"
    alert_id = notices[0].alert.alert.alert_id
    assert not notices[0].replayed

    view = stack.monitoring.AcknowledgeAlert(
        api.AlertActionRequest(alert_id=alert_id, staff_id="vss-staff-7", note="calling the hospital"),
        timeout=10,
    )

    assert view.status == api.ALERT_STATUS_ACKNOWLEDGED
    assert acked.wait(30), "the acknowledgement was not streamed"
    stream.cancel()
    reader.join(10)
    assert notices[-1].alert.status_by == "vss-staff-7"


def test_a_worker_that_reads_the_whole_log_again_raises_no_second_alert(stack: Stack) -> None:
    card = stack.person()
    stack.client.verify(card, facility_id="01-001", kiosk_id="hn-1")
    stack.client.verify(card, facility_id="79-001", kiosk_id="hcm-1")
    before = stack.one_alert(sin(card), "two_facilities")
    everything_before = {
        a.alert.alert_id: a.alert.revision
        for a in stack.monitoring.ListAlerts(
            api.ListAlertsRequest(filter=api.AlertFilter(include_closed=True), limit=1000), timeout=10
        ).alerts
    }

    # A crash, then a worker in a new consumer group: every event of the module is delivered again.
    stack.worker.kill()
    replaying = stack.settings.with_(projection_group=f"{stack.settings.projection_group}-again")
    stack.worker = start_worker(replaying, "w2", stack.log_dir)
    wait_until(lambda: group_caught_up(replaying), timeout=90, what="the new group read the whole log")

    after = stack.one_alert(sin(card), "two_facilities")
    assert (after.alert.alert_id, after.alert.revision) == (before.alert.alert_id, before.alert.revision)
    everything_after = {
        a.alert.alert_id: a.alert.revision
        for a in stack.monitoring.ListAlerts(
            api.ListAlertsRequest(filter=api.AlertFilter(include_closed=True), limit=1000), timeout=10
        ).alerts
    }
    assert everything_after == everything_before
