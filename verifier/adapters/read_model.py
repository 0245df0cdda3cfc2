"""The verifier's reader of the participation and usage projections (schema: verifier/readmodel)."""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import cast

from verifier import metrics
from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient
from verifier.domain.participation import Participation
from verifier.domain.usage import Usage
from verifier.errors import ReadModelUnavailable
from verifier.ports import ReadModel
from verifier.readmodel.participation import (
    decode_participation,
    decode_usage_entry,
    from_epoch_ms,
    participant_key,
    personal_id_key,
    usage_day_key,
    usage_key,
    usage_recent_key,
)

log = logging.getLogger(__name__)
# Bound once: a check-in reads here on every request, so no label lookup per call.
_PARTICIPANT = metrics.READ_MODEL_DURATION.labels("participant")
_PERSONAL_ID = metrics.READ_MODEL_DURATION.labels("personal_id")
_USAGE = metrics.READ_MODEL_DURATION.labels("usage")


class RedisReadModel(ReadModel):
    """Millisecond reads for check-in and the card display; Redis errors become ReadModelUnavailable."""

    def __init__(self, client: RedisClient) -> None:
        self._redis = client

    async def participant(self, social_insurance_number: str) -> Participation | None:
        started = time.perf_counter()
        try:
            packed = cast(str | None, await self._redis.hget(participant_key(social_insurance_number), "d"))
        except REDIS_ERRORS as e:
            metrics.READ_MODEL_FAILURES.labels("participant").inc()
            log.warning("participation projection unreachable: %s", e)
            raise ReadModelUnavailable("participation projection unreachable") from e
        _PARTICIPANT.observe(time.perf_counter() - started)
        return decode_participation(social_insurance_number, packed) if packed else None

    async def social_insurance_number_for(self, personal_id: str) -> str | None:
        started = time.perf_counter()
        try:
            sin = cast(str | None, await self._redis.get(personal_id_key(personal_id)))
        except REDIS_ERRORS as e:
            metrics.READ_MODEL_FAILURES.labels("personal_id").inc()
            log.warning("participation projection unreachable: %s", e)
            raise ReadModelUnavailable("participation projection unreachable") from e
        _PERSONAL_ID.observe(time.perf_counter() - started)
        return sin

    async def usage(self, subject: str, *, day: date, recent: int) -> Usage:
        started = time.perf_counter()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(usage_key(subject))
                pipe.get(usage_day_key(subject, day))
                pipe.lrange(usage_recent_key(subject), 0, max(recent - 1, 0))
                totals, today, entries = await pipe.execute()
        except REDIS_ERRORS as e:
            metrics.READ_MODEL_FAILURES.labels("usage").inc()
            log.warning("usage projection unreachable: %s", e)
            raise ReadModelUnavailable("usage projection unreachable") from e
        _USAGE.observe(time.perf_counter() - started)
        return Usage(
            check_ins_today=int(today or 0),
            check_ins_total=int(totals.get("n", 0)),
            accepted_total=int(totals.get("a", 0)),
            last_facility_id=totals.get("lf", ""),
            last_check_in_at=from_epoch_ms(int(totals["lt"])) if totals.get("lt") else None,
            recent=tuple(decode_usage_entry(e) for e in entries) if recent else (),
        )
