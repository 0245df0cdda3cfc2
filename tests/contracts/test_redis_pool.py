"""The verifier's Redis client waits for a free connection instead of failing.

redis-py's default asyncio pool raises "Too many connections" the moment every connection is busy;
under 300 HIS lookups/s a slow second turned into 500s that way (bench/his_load.py). The verifier's
client (`verifier.bootstrap.redis_client`) uses a blocking pool: more concurrent commands than
connections queue for up to `redis_pool_timeout_s`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from infra.local.redis_server import RedisServer
from verifier.bootstrap import redis_client
from verifier.settings import Settings

BUSY_S = 0.05  # each command holds its connection this long (BLPOP on an empty list times out)


async def test_more_commands_than_connections_wait_and_all_succeed(redis_server: RedisServer) -> None:
    settings = replace(
        Settings(), redis_url=redis_server.url, redis_max_connections=2, redis_pool_timeout_s=10.0
    )
    client = redis_client(settings)
    try:
        results = await asyncio.gather(
            *(client.blpop([f"pool-test:{i}"], timeout=BUSY_S) for i in range(20)), return_exceptions=True
        )
    finally:
        await client.aclose()
    assert [r for r in results if isinstance(r, BaseException)] == []
    assert results == [None] * 20  # every BLPOP ran to its timeout on an empty list


async def test_a_connection_not_freed_in_time_is_a_clear_error(redis_server: RedisServer) -> None:
    settings = replace(
        Settings(), redis_url=redis_server.url, redis_max_connections=1, redis_pool_timeout_s=0.01
    )
    client = redis_client(settings)
    try:
        results = await asyncio.gather(
            *(client.blpop([f"pool-test:{i}"], timeout=0.5) for i in range(2)), return_exceptions=True
        )
    finally:
        await client.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and "connection" in str(errors[0]).lower()
