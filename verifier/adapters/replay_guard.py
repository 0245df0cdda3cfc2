"""Replay detection for digital card tokens: one Redis key per token id, gone when the token is.

`SET NX GET` makes check-and-record one atomic step, so two kiosks scanning the same screenshot
at the same instant cannot both be first. The key lives as long as the token can still verify
(its expiry plus the clock skew); after that the token is refused as expired anyway.

Key: t:<token id hex>   string  check-in id|facility|kiosk|epoch-ms of the first presentation
"""

from __future__ import annotations

from datetime import UTC, datetime

from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient
from verifier.errors import ReadModelUnavailable
from verifier.ports import Presentation, ReplayGuard

_SEP = "|"


def token_key(token_id: str) -> str:
    return f"t:{token_id}"


class RedisReplayGuard(ReplayGuard):
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def first_presentation(self, token_id: str, presentation: Presentation, ttl_s: int) -> Presentation:
        value = _SEP.join(
            (
                presentation.check_in_id,
                presentation.facility_id,
                presentation.kiosk_id,
                str(int(presentation.at.timestamp() * 1000)),
            )
        )
        try:
            earlier = await self._redis.set(token_key(token_id), value, nx=True, ex=max(1, ttl_s), get=True)
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot check token replays: {e}") from e
        if earlier is None:
            return presentation
        check_in_id, facility_id, kiosk_id, ms = str(earlier).split(_SEP)
        return Presentation(check_in_id, facility_id, kiosk_id, datetime.fromtimestamp(int(ms) / 1000, UTC))
