"""The verifier's reader of the alerts projection (schema and shared rules: verifier/readmodel/alerts.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from bhyt.v1 import api_pb2 as api

from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient
from verifier.errors import ReadModelUnavailable
from verifier.readmodel.alerts import RECENT_KEY, VIEW_FIELD, alert_key, decode_view, is_raised, matches

log = logging.getLogger(__name__)


class AlertStore:
    """Reads alerts for the monitoring service; Redis errors become ReadModelUnavailable."""

    def __init__(self, client: RedisClient, *, page_size: int = 200) -> None:
        self._redis = client
        self._page = page_size

    async def get(self, alert_id: str) -> api.AlertView | None:
        try:
            text = cast(str | None, await self._redis.hget(alert_key(alert_id), VIEW_FIELD))
        except REDIS_ERRORS as e:
            log.warning("alerts projection unreachable: %s", e)
            raise ReadModelUnavailable("alerts projection unreachable") from e
        views = self._decoded([alert_id], [text])
        return views[0] if views else None

    async def recent(self, flt: api.AlertFilter, limit: int) -> list[api.AlertView]:
        """Up to `limit` alerts passing `flt`, most recently changed first.

        Reads the recent list a page at a time and stops as soon as it has enough, so a selective
        filter costs more pages but a broad one only the first. Pages go by rank: an alert
        changing meanwhile moves to the top and may be met twice, so ids already taken are skipped.
        """
        found: list[api.AlertView] = []
        seen: set[str] = set()
        start = 0
        try:
            while len(found) < limit:
                ids = cast(list[str], await self._redis.zrevrange(RECENT_KEY, start, start + self._page - 1))
                if not ids:
                    break
                start += len(ids)
                async with self._redis.pipeline(transaction=False) as pipe:
                    for alert_id in ids:
                        pipe.hget(alert_key(alert_id), VIEW_FIELD)
                    texts = await pipe.execute()
                for view in self._decoded(ids, texts):
                    if view.alert.alert_id in seen or not matches(view, flt):
                        continue
                    seen.add(view.alert.alert_id)
                    found.append(view)
                    if len(found) == limit:
                        break
        except REDIS_ERRORS as e:
            log.warning("alerts projection unreachable: %s", e)
            raise ReadModelUnavailable("alerts projection unreachable") from e
        return found

    @staticmethod
    def _decoded(ids: Sequence[str], texts: Sequence[str | None]) -> list[api.AlertView]:
        """The raised alerts among `texts`; an undecodable record is logged and left out, so one
        bad record cannot hide every other alert from staff."""
        views = []
        for alert_id, text in zip(ids, texts, strict=True):
            if not text:
                continue
            try:
                view = decode_view(text)
            except ValueError as e:
                log.error("unreadable alert record %s: %s", alert_key(alert_id), e)
                continue
            if is_raised(view):
                views.append(view)
        return views
