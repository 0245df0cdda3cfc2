"""The staff dashboard's reader: per-facility figures, read from what the monitor and face projections
keep anyway: the monitor's minute counters (m:p:{<facility>}) and the face-score buckets
(f:fac:{<facility>}). Nothing is counted twice for the dashboard's sake.
"""

from __future__ import annotations

from datetime import UTC, datetime

from verifier.adapters.redis_client import RedisClient
from verifier.domain.geography import province_of
from verifier.ports import FacilityStats, FacilityStatsReader
from verifier.readmodel.participation import face_facility_key
from verifier.readmodel.places import (
    CHECK_INS,
    FACES,
    MINUTE_MS,
    MISMATCHES,
    PLACES_KEY,
    REJECTED,
    STATE_FIELD,
    PlaceCounters,
    place_key,
)

SPARK_MINUTES = 30
_BUCKETS = [f"b{i}" for i in range(10)]


class RedisFacilityStats(FacilityStatsReader):
    def __init__(self, client: RedisClient, *, window_minutes: int) -> None:
        self._redis = client
        self._window = window_minutes

    async def facility_stats(self) -> list[FacilityStats]:
        facilities = sorted(str(f) for f in await self._redis.smembers(PLACES_KEY))
        if not facilities:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for facility in facilities:
                pipe.hget(place_key(facility), STATE_FIELD)
                pipe.hmget(face_facility_key(facility), _BUCKETS)
            rows = await pipe.execute()
        stats = []
        for i, facility in enumerate(facilities):
            state = PlaceCounters.from_json(_text(rows[2 * i]))
            buckets = tuple(int(b or 0) for b in rows[2 * i + 1])
            stats.append(self._figures(facility, state, buckets))
        return stats

    def _figures(self, facility: str, state: PlaceCounters, face_buckets: tuple[int, ...]) -> FacilityStats:
        last = state.newest // MINUTE_MS
        per_minute = tuple(
            state.buckets.get(m, [0, 0, 0, 0])[CHECK_INS] for m in range(last - SPARK_MINUTES + 1, last + 1)
        )
        window = [0, 0, 0, 0]
        for minute, counts in state.buckets.items():
            if minute > last - self._window:
                window = [a + b for a, b in zip(window, counts, strict=True)]
        return FacilityStats(
            facility_id=facility,
            province=province_of(facility),
            checkins_per_minute=per_minute,
            checkins=window[CHECK_INS],
            rejected=window[REJECTED],
            face_attempts=window[FACES],
            face_mismatches=window[MISMATCHES],
            face_score_buckets=face_buckets,
            latest_at=datetime.fromtimestamp(state.newest / 1000, UTC) if state.newest else None,
        )


def _text(value: str | bytes | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
