"""The staff dashboard against the whole stack: misuse produced through gRPC shows up on the page.

Verifier (serving gRPC and the dashboard), Kafka, Redis and a Faust worker (projections and the
monitor) run for real; headless Chromium watches the page while a borrowed card is used at a
hospital in Ha Noi and, minutes later, in Ho Chi Minh City. The alert must appear without a
reload, say what happened in Vietnamese (in English once switched), carry those two check-ins as
evidence, and the facility panel must count the check-ins.
Staff log in first with a monitoring account added through the real Accounts path (AccountService
on the stack's Kafka and Redis, projected by the worker), and acknowledging the alert on the page
records that account, as the alert's status_by over gRPC shows.
A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

from bhyt.v1 import api_pb2 as api
from bhyt.v1 import api_pb2_grpc as api_grpc
from bhyt.v1 import events_pb2 as ev
from grpc import aio
from playwright.async_api import expect

from infra.local.dashboard_account import add_monitoring_account
from infra.local.procs import free_port
from infra.local.redis_server import RedisServer
from tests.support.browser import chromium_page, page_errors, save_screenshot
from tests.support.client import enrollment
from tests.support.dashboard_login import log_in_page
from tests.support.isolation import isolated_settings
from tests.support.processes import start_worker, verifier_process

MONITOR = "giam-sat-e2e"


async def enroll(channel: aio.Channel, card: str) -> None:
    participation, cards = api_grpc.ParticipationStub(channel), api_grpc.CardsStub(channel)
    request = enrollment(
        card, gender=ev.GENDER_FEMALE, full_name="Trần Thị Bình", date_of_birth="1985-02-03",
        registered_facility="01-001",
    )  # fmt: skip
    await participation.EnrollParticipant(request, timeout=15)
    for _ in range(300):
        if (await cards.GetCardStatus(api.GetCardStatusRequest(card_number=card), timeout=5)).found:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("enrollment never projected")


async def test_misuse_through_grpc_appears_live_on_the_dashboard(
    kafka_bootstrap: str, redis_server: RedisServer, log_dir: Path
) -> None:
    dashboard_port = free_port()
    settings = isolated_settings(
        kafka_bootstrap, redis_server.url, prefix="dash", dashboard_listen=f"127.0.0.1:{dashboard_port}"
    )
    card = f"GD401{uuid.uuid4().int % 10**10:010d}"
    with verifier_process(settings, log_dir):
        worker = start_worker(settings, "w1", log_dir)
        try:
            password = await add_monitoring_account(settings, MONITOR, by="test")
            async with aio.insecure_channel(settings.grpc_listen) as channel:
                await enroll(channel, card)
                async with chromium_page("dashboard-misuse", timeout_ms=30_000) as page:
                    url = f"http://127.0.0.1:{dashboard_port}/"
                    await page.goto(url)
                    await expect(page).to_have_url(url + "login")  # nothing without a session
                    await log_in_page(page, url, MONITOR, password)
                    await expect(page.get_by_test_id("stream-status")).to_have_text("trực tuyến")  # live
                    await expect(page.get_by_test_id("alert-row")).to_have_count(0)

                    checkin = api_grpc.CheckInStub(channel)
                    in_ha_noi = await checkin.VerifyCard(
                        api.VerifyCardRequest(
                            card_number=card, facility_id="01-001", kiosk_id="hn-3", staff_id="staff-1"
                        ),
                        timeout=15,
                    )
                    in_saigon = await checkin.VerifyCard(
                        api.VerifyCardRequest(
                            card_number=card, facility_id="79-001", kiosk_id="hcm-7", staff_id="staff-1"
                        ),
                        timeout=15,
                    )

                    row = page.get_by_test_id("alert-row")
                    await expect(row).to_have_count(1)
                    await expect(row).to_contain_text("two_facilities")
                    await expect(row).to_contain_text("Một thẻ ở hai cơ sở")  # the rule, in Vietnamese
                    await expect(row).to_contain_text(card[-10:])
                    # The monitor's own Vietnamese summary, shown first.
                    summary = row.get_by_test_id("alert-summary")
                    await expect(summary).to_have_text(
                        re.compile(
                            r"^Khám tại 01-001 và 79-001 cách nhau \d+ phút, di chuyển cần ít nhất \d+ phút$"
                        )
                    )
                    await row.click()
                    evidence = page.get_by_test_id("evidence-row")
                    await expect(evidence).to_have_count(2)
                    # The monitor's "accepted 000" in Vietnamese, with what the code means.
                    await expect(evidence.first).to_contain_text("chấp nhận 000")
                    await expect(evidence.first).to_contain_text("000: Thông tin thẻ chính xác")
                    await expect(evidence.first).to_have_attribute("data-event-id", in_ha_noi.check_in_id)
                    await expect(evidence.last).to_have_attribute("data-event-id", in_saigon.check_in_id)

                    saigon = page.get_by_test_id("facility-79-001")
                    await expect(saigon.get_by_test_id("checkins")).to_contain_text("1")
                    await save_screenshot(page, "dashboard-misuse")

                    await page.get_by_test_id("lang-switch").click()  # the same alert, in English
                    await expect(summary).to_have_text(
                        re.compile(
                            r"^checked in at 01-001 and 79-001 \d+ min apart, travel needs at least \d+ min$"
                        )
                    )

                    # Acknowledged on the page: the logged-in account is the staff member on record.
                    await page.get_by_label("Note", exact=True).fill("called both hospitals")
                    await page.get_by_test_id("acknowledge").click()
                    await expect(row).to_contain_text(f"acknowledged by {MONITOR}")
                    alert_id = await row.get_attribute("data-alert-id")
                    monitoring = api_grpc.MonitoringStub(channel)
                    for _ in range(300):  # the alerts projection takes the acknowledgement from the log
                        [view] = (
                            await monitoring.ListAlerts(
                                api.ListAlertsRequest(filter=api.AlertFilter()), timeout=5
                            )
                        ).alerts
                        if view.status == api.ALERT_STATUS_ACKNOWLEDGED:
                            break
                        await asyncio.sleep(0.1)
                    assert view.alert.alert_id == alert_id
                    assert view.status == api.ALERT_STATUS_ACKNOWLEDGED
                    assert view.status_by == MONITOR
                    assert view.status_note == "called both hospitals"
                    assert page_errors(page) == []
        finally:
            worker.stop()
