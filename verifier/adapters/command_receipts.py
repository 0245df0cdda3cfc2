"""What staff commands were answered, by event id: a retry under the same request id gets the first
answer and records nothing. One Redis key per command; `SET NX` keeps the first receipt.

The key outlives any sensible retry (the service keeps it for days) and then expires. It belongs to
no projection: a rebuild neither drops nor rewrites it.

Key: cmd:<event id>   string  topic|partition|offset|fingerprint
"""

from __future__ import annotations

from verifier.adapters.redis_client import REDIS_ERRORS, RedisClient
from verifier.errors import ReadModelUnavailable
from verifier.ports import CommandReceipts, Receipt, Recorded

_SEP = "|"


def receipt_key(event_id: str) -> str:
    return f"cmd:{event_id}"


class RedisCommandReceipts(CommandReceipts):
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def recall(self, event_id: str) -> Receipt | None:
        try:
            value = await self._redis.get(receipt_key(event_id))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read command receipts: {e}") from e
        if value is None:
            return None
        topic, partition, offset, fingerprint = str(value).split(_SEP, 3)
        return Receipt(event_id, Recorded(topic, int(partition), int(offset)), fingerprint)

    async def keep(self, receipt: Receipt, ttl_s: int) -> None:
        where = receipt.recorded
        value = _SEP.join((where.topic, str(where.partition), str(where.offset), receipt.fingerprint))
        try:
            await self._redis.set(receipt_key(receipt.event_id), value, nx=True, ex=max(1, ttl_s))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot keep the command receipt: {e}") from e
