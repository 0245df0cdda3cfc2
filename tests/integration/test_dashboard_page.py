"""The staff dashboard over a real socket: its JSON, its event stream, and the page in headless Chromium.

The alerts and statistics come from small in-memory sources that keep alerts the way the
monitor's projection does (latest revision per id, changes fanned out to watchers); the real
rules behind gRPC are exercised end to end elsewhere, on top of `tests.support.browser`.
Logins go through the real AccountService (accounts added as events, folded as the projection
does, on the ports' in-memory fakes, which pass the same contract suite as the Redis adapters);
every test logs in first, and `test_dashboard_login.py` covers the login itself.
The page speaks Vietnamese unless staff switch it to English, so the tests read it in Vietnamese.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from bhyt.v1 import api_pb2, events_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from playwright.async_api import expect

from tests.support.browser import chromium_page, page_errors, save_screenshot
from tests.support.dashboard_login import log_in_page, logged_in_http
from tests.support.fakes import FakeAccountsReadModel, FakeEventLog, FakeSessions
from verifier.dashboard import RunningDashboard, start_dashboard
from verifier.domain.accounts import ScryptParameters
from verifier.domain.facilities import FacilityRegistry
from verifier.domain.reasons import OUR_REASONS, VSS_REASONS, reason_text, reason_text_vi
from verifier.errors import NotFound, VerifierError
from verifier.ports import FacilityStats, FacilityStatsReader
from verifier.readmodel.alerts import closing_note, status_rank, with_status
from verifier.service.accounts import AccountService
from verifier.settings import Settings

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam
STATS_INTERVAL_S = 0.2
WAIT_S = 10.0

# ---- in-memory data sources -------------------------------------------------------------------


def _ts(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def alert_view(
    alert_id: str,
    *,
    revision: int = 1,
    rule: str = "two_facilities",
    severity: events_pb2.Severity = events_pb2.SEVERITY_HIGH,
    facilities: tuple[str, ...] = ("79-001",),
    evidence: int = 2,
    minute: int = 0,
    status: api_pb2.AlertStatus = api_pb2.ALERT_STATUS_OPEN,
    summary_vi: str | None = None,
) -> api_pb2.AlertView:
    """An alert as the monitor would raise it: `evidence` check-ins one minute apart from `minute`.

    `summary_vi=""` is an alert raised before the monitor wrote its summaries in Vietnamese."""
    start = T0 + timedelta(minutes=minute)
    items = [
        events_pb2.Evidence(
            event_id=f"{alert_id}-ev{i}",
            kind="check_in",
            occurred_at=_ts(start + timedelta(minutes=i)),
            facility_id=facilities[i % len(facilities)],
            kiosk_id=f"kiosk-{i}",
            detail="accepted 000" if i % 2 == 0 else "rejected 010",
        )
        for i in range(evidence)
    ]
    end = start + timedelta(minutes=max(evidence - 1, 0))
    alert = events_pb2.Alert(
        alert_id=alert_id,
        revision=revision,
        rule=rule,
        severity=severity,
        subject_kind="card",
        subject=f"card:GD40440{alert_id[-8:].rjust(8, '0')}",
        facility_ids=list(dict.fromkeys(facilities)),
        provinces=sorted({f[:2] for f in facilities}),
        window_start=_ts(start),
        window_end=_ts(end),
        evidence=items,
        evidence_count=evidence,
        summary=f"{rule} on {', '.join(facilities)} ({evidence} events)",
        summary_vi=(
            f"{rule} tại {', '.join(facilities)} ({evidence} sự kiện)" if summary_vi is None else summary_vi
        ),
    )
    return api_pb2.AlertView(alert=alert, status=status, updated_at=_ts(end))


def matches(view: api_pb2.AlertView, flt: api_pb2.AlertFilter) -> bool:
    alert = view.alert
    return (
        (not flt.province or flt.province in alert.provinces)
        and (not flt.facility_id or flt.facility_id in alert.facility_ids)
        and (not flt.rule or flt.rule == alert.rule)
        and alert.severity >= flt.min_severity
        and (flt.include_closed or view.status != api_pb2.ALERT_STATUS_CLOSED)
    )


@dataclass(eq=False)
class Watcher:
    flt: api_pb2.AlertFilter
    changes: asyncio.Queue[api_pb2.AlertView] = field(default_factory=asyncio.Queue)
    told_closed: set[str] = field(default_factory=set)

    def wants(self, view: api_pb2.AlertView) -> bool:
        """Matching changes, and (like MonitoringService) once the closure of an alert it may show."""
        if matches(view, self.flt):
            return True
        if view.status != api_pb2.ALERT_STATUS_CLOSED or view.alert.alert_id in self.told_closed:
            return False
        widened = api_pb2.AlertFilter()
        widened.CopyFrom(self.flt)
        widened.include_closed = True
        if not matches(view, widened):
            return False
        self.told_closed.add(view.alert.alert_id)
        return True


class AlertBoard:
    """The latest state of every alert, and the watchers to tell about changes (an AlertReader)."""

    def __init__(self, *views: api_pb2.AlertView) -> None:
        self._views: dict[str, api_pb2.AlertView] = {}
        self._watchers: list[Watcher] = []
        self.actions: list[tuple[str, api_pb2.AlertStatus, str]] = []  # (alert, new status, staff id)
        self.no_watchers = asyncio.Event()
        self.no_watchers.set()
        for view in views:
            self.publish(view)

    @property
    def watchers(self) -> int:
        return len(self._watchers)

    def publish(self, view: api_pb2.AlertView) -> None:
        self._views.pop(view.alert.alert_id, None)
        self._views[view.alert.alert_id] = view  # dict order = order of the latest change
        for watcher in self._watchers:
            if watcher.wants(view):
                watcher.changes.put_nowait(view)

    def _recent(self, flt: api_pb2.AlertFilter, count: int) -> list[api_pb2.AlertView]:
        """Oldest first, like the change log it stands for."""
        chosen = [v for v in self._views.values() if matches(v, flt)]
        return chosen[-count:] if count else chosen

    async def list_alerts(self, flt: api_pb2.AlertFilter, limit: int) -> list[api_pb2.AlertView]:
        return list(reversed(self._recent(flt, limit)))

    async def watch_alerts(self, flt: api_pb2.AlertFilter, replay: int) -> AsyncIterator[api_pb2.AlertNotice]:
        watcher = Watcher(flt)
        self._watchers.append(watcher)  # before the replay, so nothing published meanwhile is lost
        self.no_watchers.clear()
        try:
            for view in self._recent(flt, replay or 50):
                yield api_pb2.AlertNotice(alert=view, replayed=True)
            while True:
                yield api_pb2.AlertNotice(alert=await watcher.changes.get(), replayed=False)
        finally:
            self._watchers.remove(watcher)
            if not self._watchers:
                self.no_watchers.set()

    async def acknowledge(self, alert_id: str, staff_id: str, note: str) -> api_pb2.AlertView:
        return self._act(alert_id, api_pb2.ALERT_STATUS_ACKNOWLEDGED, staff_id, note)

    async def close(self, alert_id: str, staff_id: str, resolution: str, note: str) -> api_pb2.AlertView:
        return self._act(alert_id, api_pb2.ALERT_STATUS_CLOSED, staff_id, closing_note(resolution, note))

    def _act(self, alert_id: str, status: api_pb2.AlertStatus, staff_id: str, note: str) -> api_pb2.AlertView:
        """As MonitoringService does: the status only moves forward, and the change is published."""
        current = self._views.get(alert_id)
        if current is None:
            raise NotFound(f"no alert with id {alert_id}")
        if status_rank(status) <= status_rank(current.status):
            return current
        at = T0 + timedelta(hours=1, seconds=len(self.actions))
        view = with_status(current, status, by=staff_id, note=note, at=at)
        assert view is not None
        self.actions.append((alert_id, status, staff_id))
        self.publish(view)
        return view


class BrokenAlerts:
    """An alert source whose feed fails after its replay, as a lost connection to Redis would."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    async def list_alerts(self, flt: api_pb2.AlertFilter, limit: int) -> list[api_pb2.AlertView]:
        return []

    async def watch_alerts(self, flt: api_pb2.AlertFilter, replay: int) -> AsyncIterator[api_pb2.AlertNotice]:
        yield api_pb2.AlertNotice(alert=alert_view("al-broken"), replayed=True)
        raise self.failure

    async def acknowledge(self, alert_id: str, staff_id: str, note: str) -> api_pb2.AlertView:
        raise NotFound(f"no alert with id {alert_id}")

    async def close(self, alert_id: str, staff_id: str, resolution: str, note: str) -> api_pb2.AlertView:
        raise NotFound(f"no alert with id {alert_id}")


@dataclass
class FixedStats(FacilityStatsReader):
    facilities: list[FacilityStats] = field(default_factory=list)

    async def facility_stats(self) -> list[FacilityStats]:
        return list(self.facilities)


def facility(
    facility_id: str, *, checkins: int, rejected: int, attempts: int, mismatches: int
) -> FacilityStats:
    per_minute = tuple((i * 7 + checkins) % 9 for i in range(30))
    return FacilityStats(
        facility_id=facility_id,
        province=facility_id[:2],
        checkins_per_minute=per_minute,
        checkins=checkins,
        rejected=rejected,
        face_attempts=attempts,
        face_mismatches=mismatches,
        face_score_buckets=(0, 1, 1, 2, 3, 2, 4, 9, 12, 6),
        latest_at=T0 + timedelta(minutes=29),
    )


STATS = [
    facility("79-001", checkins=40, rejected=10, attempts=20, mismatches=5),
    facility("01-001", checkins=12, rejected=0, attempts=0, mismatches=0),
]


FACILITIES = FacilityRegistry.from_lines(Settings().facilities_file.read_text(encoding="utf-8").splitlines())
MONITOR = "giam-sat"  # a monitoring account
HIS = "bv-da-khoa"  # a HIS account, which may not use the dashboard


@dataclass
class StaffAccounts:
    """The real AccountService over the ports' in-memory fakes; accounts are added as events and
    folded into the read model as the accounts projection folds them."""

    log: FakeEventLog = field(default_factory=FakeEventLog)
    directory: FakeAccountsReadModel = field(default_factory=FakeAccountsReadModel)
    sessions: FakeSessions = field(init=False)
    passwords: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sessions = FakeSessions(directory=self.directory)  # one Redis holds both in production
        self.service = AccountService(
            directory=self.directory, tokens=self.sessions, attempts=self.sessions, event_log=self.log,
            facilities=FACILITIES, clock=lambda: datetime.now(UTC),
            hashing=ScryptParameters(n=1 << 10, r=8, p=1),  # the same code, cheaper for a test suite
        )  # fmt: skip

    async def add(self, username: str, role: str, facility_id: str = "") -> str:
        added = await self.service.add_account(username, role=role, facility_id=facility_id)
        self.directory.apply(self.log.appended)
        self.passwords[username] = added.generated_password
        return added.generated_password


async def new_staff() -> StaffAccounts:
    """A monitoring account and a HIS account (which may not use the dashboard)."""
    accounts = StaffAccounts()
    await accounts.add(MONITOR, "monitoring")
    await accounts.add(HIS, "his", "40-001")
    return accounts


@pytest.fixture
async def staff() -> StaffAccounts:
    return await new_staff()


@dataclass
class Served:
    board: AlertBoard
    dashboard: RunningDashboard
    staff: StaffAccounts

    def api(self, path: str) -> str:
        return self.dashboard.url + path.lstrip("/")

    def http(self, username: str = MONITOR) -> Any:
        """An HTTP client logged in as `username`, and the session's CSRF token."""
        return logged_in_http(self.dashboard.url, username, self.staff.passwords[username])

    async def log_in(self, page: Any, username: str = MONITOR) -> None:
        await log_in_page(page, self.dashboard.url, username, self.staff.passwords[username])


@asynccontextmanager
async def serve(staff: StaffAccounts, **options: Any) -> AsyncIterator[Served]:
    """The dashboard on a free port over three alerts and two facilities' statistics."""
    board = AlertBoard(
        alert_view("al-0001", facilities=("79-001", "01-001"), minute=0),
        alert_view(
            "al-0002", rule="visit_frequency", severity=events_pb2.SEVERITY_MEDIUM, minute=5, summary_vi=""
        ),
        alert_view(
            "al-0003", rule="rate_jump", severity=events_pb2.SEVERITY_LOW, facilities=("01-001",), minute=9
        ),
    )
    dashboard = await start_dashboard(
        "127.0.0.1:0", board, FixedStats(list(STATS)), accounts=staff.service,
        stats_interval_s=STATS_INTERVAL_S, heartbeat_s=0.5, session_check_s=0.2, **options,
    )  # fmt: skip
    try:
        yield Served(board, dashboard, staff)
    finally:
        await dashboard.close()


@pytest.fixture
async def served(staff: StaffAccounts) -> AsyncIterator[Served]:
    async with serve(staff) as served:
        yield served


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll a server-side condition with a deadline (the browser side uses Playwright's waits)."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.02)


# ---- the page in Chromium ---------------------------------------------------------------------


async def test_page_lists_replayed_and_live_alerts_with_evidence_and_stats(served: Served) -> None:
    async with chromium_page("dashboard-live") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url)
        await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")
        await expect(page.get_by_test_id("stream-status")).to_have_text("trực tuyến")

        alert_rows = page.get_by_test_id("alert-row")
        await expect(alert_rows).to_have_count(3)
        # Newest first.
        await expect(alert_rows.first).to_have_attribute("data-alert-id", "al-0003")
        await expect(alert_rows.last).to_have_attribute("data-alert-id", "al-0001")

        # A live alert arrives without a reload, on top.
        served.board.publish(alert_view("al-0004", severity=events_pb2.SEVERITY_CRITICAL, minute=20))
        await expect(alert_rows).to_have_count(4)
        await expect(alert_rows.first).to_have_attribute("data-alert-id", "al-0004")
        live = page.locator('[data-testid="alert-row"][data-alert-id="al-0004"]')
        await expect(live).to_contain_text("nghiêm trọng")  # critical
        await expect(live).to_have_attribute("data-severity", "critical")
        await expect(live).to_contain_text("Một thẻ ở hai cơ sở")  # the rule in words, its name beside
        await expect(live).to_contain_text("two_facilities")

        # Its next revision replaces the row: still one row, with the new evidence count.
        served.board.publish(
            alert_view("al-0004", revision=2, evidence=4, severity=events_pb2.SEVERITY_CRITICAL, minute=20)
        )
        await expect(live).to_have_attribute("data-revision", "2")
        await expect(live).to_have_count(1)
        await expect(live.get_by_test_id("evidence-count")).to_have_text("4")
        await expect(alert_rows).to_have_count(4)

        # Clicking shows the evidence, with the event ids.
        await live.click()
        evidence = page.get_by_test_id("evidence-row")
        await expect(evidence).to_have_count(4)
        await expect(evidence.first).to_have_attribute("data-event-id", "al-0004-ev0")
        await expect(evidence.nth(3)).to_contain_text("al-0004-ev3")
        await expect(evidence.nth(1)).to_contain_text("từ chối 010")  # "rejected 010" from the monitor
        await expect(evidence.nth(1).get_by_test_id("reason-texts")).to_have_text(
            "010: Thẻ hết giá trị sử dụng"
        )
        await expect(evidence.first).to_contain_text("2026-03-02 08:20:00")  # UTC+7
        await expect(live).to_have_attribute("aria-selected", "true")

        # A further revision of the selected alert updates the drill-down in place.
        served.board.publish(
            alert_view("al-0004", revision=3, evidence=5, severity=events_pb2.SEVERITY_CRITICAL, minute=20)
        )
        await expect(evidence).to_have_count(5)

        # Facility statistics.
        card = page.get_by_test_id("facility-79-001")
        await expect(card.get_by_test_id("reject-rate")).to_contain_text("25,0 %")
        await expect(card.get_by_test_id("face-mismatch-rate")).to_contain_text("25,0 %")
        await expect(card.get_by_test_id("score-buckets").locator("rect")).to_have_count(10)
        await expect(card.get_by_test_id("sparkline").locator("rect")).to_have_count(30)
        quiet = page.get_by_test_id("facility-01-001")
        await expect(quiet.get_by_test_id("face-mismatch-rate")).to_contain_text("—")

        await save_screenshot(page, "dashboard")
        assert page_errors(page) == []


async def test_filters_reconnect_the_stream_and_narrow_the_list(served: Served) -> None:
    async with chromium_page("dashboard-filters") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url)
        alert_rows = page.get_by_test_id("alert-row")
        await expect(alert_rows).to_have_count(3)

        await page.get_by_label("Tỉnh", exact=True).fill("79")
        await page.get_by_label("Mức độ tối thiểu", exact=True).select_option("high")
        await page.get_by_test_id("apply-filters").click()
        await expect(alert_rows).to_have_count(1)
        await expect(alert_rows.first).to_have_attribute("data-alert-id", "al-0001")
        await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "live")
        await expect(page.get_by_test_id("facility-79-001")).to_be_visible()
        await expect(page.get_by_test_id("facility-01-001")).to_have_count(0)
        assert "province=79" in page.url  # the filtered view can be bookmarked

        # Live alerts respect the filter too.
        served.board.publish(alert_view("al-0005", facilities=("01-001",), minute=30))
        served.board.publish(alert_view("al-0006", facilities=("79-001",), minute=31))
        await expect(alert_rows).to_have_count(2)
        await expect(alert_rows.first).to_have_attribute("data-alert-id", "al-0006")

        # Clearing brings every open alert back.
        await page.get_by_test_id("clear-filters").click()
        await expect(alert_rows).to_have_count(5)
        await save_screenshot(page, "dashboard-filters")
        assert page_errors(page) == []


async def test_a_filter_the_server_refuses_is_explained_on_the_page(served: Served) -> None:
    async with chromium_page("dashboard-bad-filter") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url + "?rule=no%20such%20rule")
        await expect(page.get_by_test_id("filter-error")).to_contain_text("rule must be a rule name")
        await expect(page.get_by_test_id("filter-error")).to_contain_text("Bộ lọc “rule” không hợp lệ")
        await expect(page.get_by_test_id("stream-status")).to_have_attribute("data-state", "offline")
        await expect(page.get_by_test_id("stream-status")).to_have_text("mất kết nối")
        await expect(page.get_by_test_id("alert-row")).to_have_count(0)


async def test_closed_alerts_leave_the_list_unless_asked_for(served: Served) -> None:
    async with chromium_page("dashboard-closed") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url)
        alert_rows = page.get_by_test_id("alert-row")
        await expect(alert_rows).to_have_count(3)
        served.board.publish(
            alert_view("al-0002", rule="visit_frequency", status=api_pb2.ALERT_STATUS_CLOSED, minute=6)
        )
        await expect(alert_rows).to_have_count(2)
        await page.get_by_label("Gồm cả cảnh báo đã đóng", exact=True).check()
        await page.get_by_test_id("apply-filters").click()
        closed = page.locator('[data-testid="alert-row"][data-alert-id="al-0002"]')
        await expect(closed).to_contain_text("đã đóng")  # closed
        await expect(alert_rows).to_have_count(3)


# Labels of the English page that must not be left on the Vietnamese one.
ENGLISH_ONLY = (
    "misuse monitoring",
    "Province",
    "Minimum severity",
    "Include closed",
    "Apply",
    "Alerts",
    "Severity",
    "Evidence",
    "Facilities",
    "Reject rate",
    "critical",
    "medium",
    "open",
)


async def test_the_page_opens_in_vietnamese_and_switches_to_english_and_back(served: Served) -> None:
    async with chromium_page("dashboard-language") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url)
        status = page.get_by_test_id("stream-status")
        switch = page.get_by_test_id("lang-switch")
        first = page.get_by_test_id("alert-row").first
        await expect(status).to_have_text("trực tuyến")
        await expect(page.locator("html")).to_have_attribute("lang", "vi")
        await expect(page.locator("h1")).to_have_text("Giám sát lạm dụng thẻ BHYT")
        await expect(page).to_have_title("Giám sát lạm dụng thẻ BHYT")
        await expect(page.get_by_label("Tỉnh", exact=True)).to_have_attribute("placeholder", "vd. 79")
        await expect(first).to_contain_text("thấp")  # al-0003, low
        await expect(first).to_contain_text("đang mở")
        summaries = page.get_by_test_id("alert-summary")
        await expect(summaries).to_have_text(
            [
                "rate_jump tại 01-001 (2 sự kiện)",  # the monitor's Vietnamese line, shown first
                "visit_frequency on 79-001 (2 events)",  # an older alert without one keeps its English
                "two_facilities tại 79-001, 01-001 (2 sự kiện)",
            ]
        )
        await expect(page.get_by_role("columnheader", name="Tóm tắt", exact=True)).to_be_visible()
        await expect(page.get_by_test_id("stats-note")).to_contain_text("2 cơ sở, cập nhật lúc")
        await expect(switch).to_have_text("English")
        body = await page.locator("body").inner_text()
        assert [word for word in ENGLISH_ONLY if word in body] == []
        await first.click()
        await expect(page.get_by_test_id("evidence-summary")).to_have_text(
            "rate_jump tại 01-001 (2 sự kiện) 2 sự kiện."
        )
        texts = await page.evaluate("window.BhytI18n")
        assert sorted(texts["vi"]) == sorted(texts["en"]), "a text is missing in one language"
        await save_screenshot(page, "dashboard-vi")

        await switch.click()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator("h1")).to_have_text("BHYT misuse monitoring")
        await expect(status).to_have_text("live")
        await expect(page.get_by_label("Province", exact=True)).to_have_attribute("placeholder", "e.g. 79")
        await expect(page.get_by_label("Minimum severity", exact=True).locator("option").nth(4)).to_have_text(
            "critical"
        )
        await expect(first).to_contain_text("low")
        await expect(first).to_contain_text("open")
        await expect(first).to_contain_text("Rate jump")
        await expect(summaries).to_have_text(
            [
                "rate_jump on 01-001 (2 events)",
                "visit_frequency on 79-001 (2 events)",
                "two_facilities on 79-001, 01-001 (2 events)",
            ]
        )
        await expect(page.get_by_role("columnheader", name="Summary", exact=True)).to_be_visible()
        await expect(page.get_by_test_id("evidence-summary")).to_have_text(
            "rate_jump on 01-001 (2 events) 2 events."
        )
        await expect(page.get_by_test_id("evidence-row").nth(1)).to_contain_text("rejected 010")
        await expect(page.get_by_test_id("evidence-row").nth(1).get_by_test_id("reason-texts")).to_have_text(
            "010: card expired"
        )
        await expect(page.get_by_test_id("facility-79-001").get_by_test_id("reject-rate")).to_contain_text(
            "25.0 %"
        )
        await expect(page.get_by_test_id("stats-note")).to_contain_text("2 facilities, updated")
        await expect(switch).to_have_text("Tiếng Việt")
        await save_screenshot(page, "dashboard-en")

        # Remembered: a reload stays in English...
        await page.reload()
        await expect(page.locator("h1")).to_have_text("BHYT misuse monitoring")
        await expect(status).to_have_text("live")
        # ...until switched back, which is remembered too.
        await switch.click()
        await expect(page.locator("h1")).to_have_text("Giám sát lạm dụng thẻ BHYT")
        await expect(first).to_contain_text("thấp")
        await page.reload()
        await expect(status).to_have_text("trực tuyến")
        await expect(page.locator("html")).to_have_attribute("lang", "vi")
        assert page_errors(page) == []


async def test_lang_in_the_address_opens_english_and_is_remembered(served: Served) -> None:
    async with chromium_page("dashboard-lang-param") as page:
        await served.log_in(page)
        await page.goto(served.dashboard.url + "?lang=en&min_severity=medium")
        await expect(page.get_by_test_id("stream-status")).to_have_text("live")
        await expect(page.get_by_test_id("alert-row")).to_have_count(2)  # the filter still applies
        await expect(page.get_by_label("Minimum severity", exact=True)).to_have_value("medium")
        await page.goto(served.dashboard.url)
        await expect(page.locator("h1")).to_have_text("BHYT misuse monitoring")
        # Switching drops ?lang= from the address, so a reload keeps what was just chosen.
        await page.goto(served.dashboard.url + "?lang=en")
        await page.get_by_test_id("lang-switch").click()
        await expect(page.locator("h1")).to_have_text("Giám sát lạm dụng thẻ BHYT")
        assert "lang=" not in page.url
        await page.reload()
        await expect(page.locator("h1")).to_have_text("Giám sát lạm dụng thẻ BHYT")
        assert page_errors(page) == []


# ---- plain HTTP -------------------------------------------------------------------------------


async def test_reasons_json_is_the_verifiers_table_in_both_languages(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/reasons")) as response:
        assert response.status == 200
        reasons = (await response.json())["reasons"]
    assert set(reasons) == {*VSS_REASONS, *OUR_REASONS}
    for code, texts in reasons.items():
        assert texts == {"vi": reason_text_vi(code), "en": reason_text(code)}
    assert reasons["T04"]["vi"] == "Mã thẻ điện tử đã hết hạn"


async def test_alerts_json_newest_first_with_proto_field_names(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/alerts")) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        body = await response.json()
    ids = [view["alert"]["alert_id"] for view in body["alerts"]]
    assert ids == ["al-0003", "al-0002", "al-0001"]
    first = body["alerts"][2]
    assert first["status"] == "ALERT_STATUS_OPEN"
    assert first["alert"]["severity"] == "SEVERITY_HIGH"
    assert first["alert"]["facility_ids"] == ["79-001", "01-001"]
    assert first["alert"]["evidence_count"] == 2
    assert first["alert"]["evidence"][1]["event_id"] == "al-0001-ev1"
    assert first["alert"]["window_start"] == "2026-03-02T01:00:00Z"
    assert first["alert"]["summary_vi"] == "two_facilities tại 79-001, 01-001 (2 sự kiện)"
    assert body["alerts"][1]["alert"]["summary_vi"] == ""  # an older alert: present, and empty


async def test_alerts_json_filters_and_limit(served: Served) -> None:
    async with served.http() as (http, _):
        async with http.get(served.api("api/alerts"), params={"province": "01", "min_severity": "high"}) as r:
            assert [v["alert"]["alert_id"] for v in (await r.json())["alerts"]] == ["al-0001"]
        async with http.get(served.api("api/alerts"), params={"rule": "rate_jump", "limit": "5"}) as r:
            assert [v["alert"]["alert_id"] for v in (await r.json())["alerts"]] == ["al-0003"]
        async with http.get(served.api("api/alerts"), params={"limit": "1"}) as r:
            assert [v["alert"]["alert_id"] for v in (await r.json())["alerts"]] == ["al-0003"]
        async with http.get(
            served.api("api/alerts"), params={"facility": "79-001", "min_severity": "SEVERITY_MEDIUM"}
        ) as r:
            assert [v["alert"]["alert_id"] for v in (await r.json())["alerts"]] == ["al-0002", "al-0001"]


@pytest.mark.parametrize(
    ("path", "parameter", "message"),
    [
        (
            "api/alerts?min_severity=extreme",
            "min_severity",
            "min_severity must be low, medium, high or critical",
        ),
        ("api/alerts?min_severity=0", "min_severity", "min_severity must be"),
        ("api/alerts?province=7", "province", "province must be a 2-digit code"),
        ("api/alerts?facility=hospital", "facility", "not of the form PP-XXX"),
        ("api/alerts?limit=0", "limit", "limit must be a whole number from 1 to 1000"),
        ("api/alerts?limit=abc", "limit", "limit must be a whole number"),
        ("api/alerts?include_closed=maybe", "include_closed", "include_closed must be true or false"),
        ("api/alerts?min_severty=high", "min_severty", "unknown query parameter"),
        ("api/events?min_severity=extreme", "min_severity", "min_severity must be"),
        ("api/events?replay=-1", "replay", "replay must be a whole number"),
        ("api/stats?province=x", "province", "province must be"),
    ],
)
async def test_bad_query_values_are_400_with_a_json_reason(
    served: Served, path: str, parameter: str, message: str
) -> None:
    async with served.http() as (http, _), http.get(served.api(path)) as response:
        assert response.status == 400
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["parameter"] == parameter
    assert message in body["error"]
    assert "Traceback" not in json.dumps(body)


async def test_unknown_api_path_is_a_json_404(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/nothing")) as response:
        assert response.status == 404
        assert (await response.json())["status"] == 404


async def test_stats_json_carries_rates(served: Served) -> None:
    async with served.http() as (http, _):
        async with http.get(served.api("api/stats")) as response:
            body = await response.json()
        async with http.get(served.api("api/stats"), params={"province": "79"}) as response:
            only_79 = await response.json()
    by_id = {f["facility_id"]: f for f in body["facilities"]}
    assert set(by_id) == {"01-001", "79-001"}
    assert by_id["79-001"]["reject_rate"] == 0.25
    assert by_id["79-001"]["face_mismatch_rate"] == 0.25
    assert by_id["79-001"]["face_score_buckets"] == [0, 1, 1, 2, 3, 2, 4, 9, 12, 6]
    assert len(by_id["79-001"]["checkins_per_minute"]) == 30
    assert by_id["79-001"]["latest_at"] == "2026-03-02T01:29:00+00:00"
    assert by_id["01-001"]["face_mismatch_rate"] is None  # no attempts: no rate, not 0
    assert [f["facility_id"] for f in only_79["facilities"]] == ["79-001"]


async def test_page_and_static_files_are_served_with_a_strict_policy(served: Served) -> None:
    async with served.http() as (http, _):
        async with http.get(served.dashboard.url) as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            page = await response.text()
        for asset, kind in [
            ("static/i18n.js", "javascript"),
            ("static/dashboard.js", "javascript"),
            ("static/dashboard.css", "text/css"),
        ]:
            assert asset in page
            async with http.get(served.api(asset)) as response:
                assert response.status == 200
                assert kind in response.content_type


# ---- the event stream -------------------------------------------------------------------------


@dataclass
class Frame:
    event: str | None
    data: str | None
    comments: list[str]
    fields: dict[str, str]


async def read_frame(response: aiohttp.ClientResponse) -> Frame:
    """One SSE message (up to a blank line), per the WHATWG event-stream format."""
    frame = Frame(None, None, [], {})
    while True:
        raw = await asyncio.wait_for(response.content.readline(), WAIT_S)
        if not raw:
            raise EOFError("stream ended")
        line = raw.decode().rstrip("\n")
        if not line:
            return frame
        if line.startswith(":"):
            frame.comments.append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        frame.fields[name] = value
        if name == "event":
            frame.event = value
        elif name == "data":
            assert frame.data is None, "one data line per message"
            frame.data = value


async def next_event(response: aiohttp.ClientResponse, event: str) -> Any:
    """The JSON data of the next `event` message, skipping others."""
    while True:
        frame = await read_frame(response)
        if frame.event == event:
            assert frame.data is not None
            return json.loads(frame.data)


async def test_event_stream_framing_replay_then_live(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/events?replay=2")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache"
        hello = await read_frame(response)
        assert hello.fields == {"retry": "2000"}
        assert hello.comments == ["connected"]

        replayed = [await next_event(response, "alert") for _ in range(2)]
        assert [n["alert"]["alert"]["alert_id"] for n in replayed] == ["al-0002", "al-0003"]
        assert all(n["replayed"] is True for n in replayed)

        served.board.publish(alert_view("al-0009", revision=1, minute=40))
        live = await next_event(response, "alert")
        assert live["replayed"] is False
        assert live["alert"]["alert"]["alert_id"] == "al-0009"

        stats = await next_event(response, "stats")
        assert {f["facility_id"] for f in stats["facilities"]} == {"01-001", "79-001"}

        saw_heartbeat = False
        while not saw_heartbeat:
            saw_heartbeat = "heartbeat" in (await read_frame(response)).comments


async def test_event_stream_passes_the_filter_to_the_reader(served: Served) -> None:
    closed = alert_view("al-0002", rule="visit_frequency", status=api_pb2.ALERT_STATUS_CLOSED, minute=6)
    served.board.publish(closed)
    async with served.http() as (http, _):
        async with http.get(served.api("api/events?replay=10&include_closed=true")) as response:
            replayed = [(await next_event(response, "alert"))["alert"]["alert"]["alert_id"] for _ in range(3)]
            assert replayed == ["al-0001", "al-0003", "al-0002"]
        async with http.get(served.api("api/events?replay=10&min_severity=low&province=01")) as response:
            first = await next_event(response, "alert")
            second = await next_event(response, "alert")
            assert [first["alert"]["alert"]["alert_id"], second["alert"]["alert"]["alert_id"]] == [
                "al-0001",
                "al-0003",
            ]
            served.board.publish(alert_view("al-0007", facilities=("79-001",), minute=50))
            served.board.publish(alert_view("al-0008", facilities=("01-001",), minute=51))
            live = await next_event(response, "alert")
            assert live["alert"]["alert"]["alert_id"] == "al-0008"


async def test_event_stream_ends_cleanly_when_the_browser_leaves(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(3):
        async with served.http() as (http, _), http.get(served.api("api/events")) as response:
            await next_event(response, "alert")
            assert served.board.watchers == 1
            assert served.dashboard.open_streams == 1
        # The client is gone: the server notices on its next write (stats every 0.2 s here).
        await asyncio.wait_for(served.board.no_watchers.wait(), WAIT_S)
        await until(lambda: served.dashboard.open_streams == 0, "the stream handler returned")
    assert [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info] == []
    tasks = {t.get_name() for t in asyncio.all_tasks()}
    assert not any(name.startswith("dashboard-") for name in tasks), tasks


async def test_close_ends_open_streams_promptly(served: Served) -> None:
    async with served.http() as (http, _), http.get(served.api("api/events")) as response:
        await next_event(response, "alert")
        await asyncio.wait_for(served.dashboard.close(), WAIT_S)
        with pytest.raises((EOFError, aiohttp.ClientPayloadError)):
            while True:
                await read_frame(response)
    assert served.board.watchers == 0
    assert served.dashboard.open_streams == 0


@pytest.mark.parametrize(
    ("failure", "shown", "logged"),
    [
        (ConnectionError("alert feed lost"), "the alert feed failed", "dashboard alert stream failed"),
        (
            VerifierError("the live alert feed is not running"),
            "alert feed: the live alert feed is not running",
            "dashboard alert stream ended: the live alert feed is not running",
        ),
    ],
)
async def test_a_failing_alert_feed_is_reported_to_the_page_and_logged(
    caplog: pytest.LogCaptureFixture, staff: StaffAccounts, failure: Exception, shown: str, logged: str
) -> None:
    dashboard = await start_dashboard(
        "127.0.0.1:0",
        BrokenAlerts(failure),
        FixedStats(list(STATS)),
        accounts=staff.service,
        stats_interval_s=60,
    )
    try:
        async with (
            logged_in_http(dashboard.url, MONITOR, staff.passwords[MONITOR]) as (http, _),
            http.get(dashboard.url + "api/events") as response,
        ):
            assert (await next_event(response, "alert"))["replayed"] is True
            warning = await next_event(response, "warning")
            assert shown in warning["message"]
            # The page says it in the chosen language by its kind (the detail exists only in English).
            expected = "feed_ended" if isinstance(failure, VerifierError) else "feed_failed"
            assert warning["kind"] == expected
            with pytest.raises(EOFError):
                while True:
                    await read_frame(response)
    finally:
        await dashboard.close()
    reported = [
        r for r in caplog.records if r.name.startswith("verifier.dashboard") and r.levelno >= logging.WARNING
    ]
    assert [r.getMessage() for r in reported] == [logged]
    # An expected end is one line in the log; only an unexpected failure carries a traceback.
    assert bool(reported[0].exc_info) == (not isinstance(failure, VerifierError))


async def test_listen_address_must_be_host_and_port() -> None:
    with pytest.raises(ValueError, match="host:port"):
        await start_dashboard("8080", AlertBoard(), FixedStats(), accounts=StaffAccounts().service)
