"""The one retry loop of the workers: wait out an outage (Redis, the broker) with backoff.

A worker acks a batch only after it is applied and what it caused is published, so an outage is
waited out, never skipped: retrying is the guarantee, not a convenience. Only errors the caller
calls transient are retried; any other error is the caller's to handle (a retry would fail the
same way for ever and block the partition). One warning when an outage starts and one line when it
ends, however many attempts it takes: an outage of minutes would otherwise fill the log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import (
    BusyLoadingError,
    ClusterDownError,
    RedisClusterException,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from verifier.adapters.data_keys import DataKeysUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
FIRST_DELAY_S, MAX_DELAY_S = 0.2, 5.0

# Redis errors that pass by themselves: the server is restarting, loading, or unreachable; on a Redis
# Cluster also a failover under way (CLUSTERDOWN until a replica takes over a dead master's slots),
# a slot moving (TRYAGAIN), no seed reachable or a slot nobody serves yet (RedisClusterException).
REDIS_TRANSIENT = (
    RedisConnectionError,
    RedisTimeoutError,
    BusyLoadingError,
    ClusterDownError,
    TryAgainError,
    RedisClusterException,
)


# What a worker waits out rather than dead-letters: Redis, and the data keys (Kafka, or a key file
# that does not hold the key-encryption key: an operator's fix, never to be read as an erasure).
WORKER_TRANSIENT = (*REDIS_TRANSIENT, DataKeysUnavailable)


def redis_transient(error: BaseException) -> bool:
    return isinstance(error, REDIS_TRANSIENT)


def worker_transient(error: BaseException) -> bool:
    return isinstance(error, WORKER_TRANSIENT)


async def until_done(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    transient: Callable[[BaseException], bool] = redis_transient,
) -> T:
    """`await attempt()` until it succeeds or fails with an error that is not transient."""
    delay = FIRST_DELAY_S
    since: float | None = None
    while True:
        try:
            result = await attempt()
        except Exception as e:
            if not transient(e):
                raise
            if since is None:
                since = time.monotonic()
                log.warning("%s: unavailable (%r); retrying with backoff until it is back", what, e)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_DELAY_S)
            continue
        if since is not None:
            log.info("%s: back after %.1fs", what, time.monotonic() - since)
        return result
