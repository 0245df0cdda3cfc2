"""The worker's consumer fetches in batches: Faust does not expose the fetch settings, so
`projections/app.py` sets them on the aiokafka consumer Faust builds. This fails if a Faust or
aiokafka upgrade stops that from taking effect (the consumer is built, never started: no broker)."""

from __future__ import annotations

import asyncio
from typing import Any

import faust

from projections.app import create_app
from verifier.settings import Settings


def fetch_settings(app: faust.App) -> tuple[int, int]:
    """Fetch min bytes and max wait (ms) of the aiokafka consumer the worker's consumer thread
    would start (built inside a loop, as aiokafka wants, and closed unstarted)."""

    async def build() -> tuple[int, int]:
        thread: Any = app.consumer._thread  # type: ignore[attr-defined]  # Faust's aiokafka consumer
        consumer: Any = thread._create_worker_consumer(app.transport)
        try:
            return consumer._fetch_min_bytes, consumer._fetch_max_wait_ms
        finally:
            await consumer.stop()

    return asyncio.run(build())


def test_the_worker_consumer_waits_for_a_batch_of_records() -> None:
    settings = Settings(projection_fetch_min_bytes=12345, projection_fetch_max_wait_s=0.042)
    app = create_app(settings)
    assert fetch_settings(app) == (12345, 42)


def test_each_app_keeps_its_own_fetch_settings() -> None:
    first = create_app(Settings(projection_group="one", projection_fetch_min_bytes=1))
    second = create_app(Settings(projection_group="two", projection_fetch_min_bytes=2048))
    assert [fetch_settings(app)[0] for app in (first, second)] == [1, 2048]
