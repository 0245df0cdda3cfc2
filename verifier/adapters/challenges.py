"""Active-authentication challenges in Redis: single use (GETDEL) and short-lived (EX).

Key: cc:<session id>   string  <challenge hex>|<facility>|<kiosk>
"""

from __future__ import annotations

from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient
from verifier.errors import ReadModelUnavailable
from verifier.ports import ChallengeStore, ChipSession


def challenge_key(session_id: str) -> str:
    return f"cc:{session_id}"


class RedisChallengeStore(ChallengeStore):
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def put(self, session_id: str, session: ChipSession, ttl_s: int) -> None:
        value = f"{session.challenge.hex()}|{session.facility_id}|{session.kiosk_id}"
        try:
            await self._redis.set(challenge_key(session_id), value, ex=max(1, ttl_s))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot store the chip challenge: {e}") from e

    async def take(self, session_id: str) -> ChipSession | None:
        try:
            value = await self._redis.getdel(challenge_key(session_id))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read the chip challenge: {e}") from e
        if value is None:
            return None
        challenge, facility, kiosk = str(value).split("|")
        return ChipSession(bytes.fromhex(challenge), facility, kiosk)
