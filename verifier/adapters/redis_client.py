"""The one place a Redis client is made, for one Redis or a Redis Cluster alike, and the Lua script
calls every projection and reader shares.

The URL says which: `redis://host:port/0` (or `rediss://`) is one Redis; `redis+cluster://h1:p1,
h2:p2,...` (or `rediss+cluster://`) is a Redis Cluster, every listed node a seed, so a client that
starts while one node is down still finds the others. redis-py's cluster client follows the slots
as they move and fail over.

What the cluster asks of the callers (README, "Redis Cluster"): each script declares keys of one
hash slot (`slot_groups` splits a batch by slot; on one Redis a batch stays one group, one call);
multi-key transactions stay within one hash tag. Scripts are sent by SHA (`LuaScript`): a node
that does not hold one yet (a replica promoted by a failover holds none: Redis does not replicate
the script cache) answers NOSCRIPT, and the script is loaded and the refused calls sent again,
never the calls that ran.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from types import TracebackType
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode
from redis.cluster import ClusterNode as SyncClusterNode
from redis.crc import key_slot
from redis.exceptions import NoScriptError, RedisClusterException, RedisError

RedisClient: TypeAlias = aioredis.Redis | aioredis.RedisCluster
SyncRedisClient: TypeAlias = redis.Redis | redis.RedisCluster
Pipeline: TypeAlias = aioredis.client.Pipeline | aioredis.cluster.ClusterPipeline

CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}
# What a Redis call can raise when Redis fails: the cluster client's own errors (no seed reachable,
# a slot no node serves) are not RedisErrors.
REDIS_ERRORS: tuple[type[Exception], ...] = (RedisError, RedisClusterException)


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def _seeds(url: str) -> tuple[str, list[tuple[str, int]]]:
    """(the URL of the first seed as redis-py reads it, every seed's (host, port))."""
    parts = urlsplit(url)
    scheme = CLUSTER_SCHEMES[parts.scheme]
    credentials, _, hosts = parts.netloc.rpartition("@")
    seeds: list[tuple[str, int]] = []
    for host in hosts.split(","):
        name, _, port = host.rpartition(":")
        if not name or not port.isdigit():
            raise ValueError(f"a Redis Cluster URL lists host:port seeds, not {host!r}: {url}")
        seeds.append((name, int(port)))
    first = f"{credentials}@{hosts.split(',')[0]}" if credentials else hosts.split(",")[0]
    return urlunsplit((scheme, first, "", parts.query, "")), seeds


def connect(url: str, **options: Any) -> RedisClient:
    """An asyncio client for `url`; it connects at its first command."""
    if not is_cluster_url(url):
        return aioredis.from_url(url, **options)
    first, seeds = _seeds(url)
    return aioredis.RedisCluster.from_url(
        first, startup_nodes=[ClusterNode(host, port) for host, port in seeds], **options
    )


def connect_sync(url: str, **options: Any) -> SyncRedisClient:
    """A blocking client for `url` (commands, benches, test helpers)."""
    if not is_cluster_url(url):
        return redis.Redis.from_url(url, **options)
    first, seeds = _seeds(url)
    return redis.RedisCluster.from_url(
        first, startup_nodes=[SyncClusterNode(host, port) for host, port in seeds], **options
    )


def is_cluster(client: RedisClient) -> bool:
    return isinstance(client, aioredis.RedisCluster)


def slot_groups(client: RedisClient, keys: Sequence[str]) -> list[list[int]]:
    """The indexes of `keys` grouped so each group can go to one script call: by hash slot on a
    cluster, all in one group on one Redis (a batch stays one call there)."""
    if not is_cluster(client):
        return [list(range(len(keys)))] if keys else []
    groups: dict[int, list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key_slot(key.encode()), []).append(i)
    return list(groups.values())


async def moving_slots(client: RedisClient) -> list[str]:
    """The slots a Redis Cluster is moving between masters now ("100 migrating", ...); [] on one
    Redis. A SCAN across masters can miss a key that moves behind it, so whoever must see every key
    (a rebuild dropping a projection, a digest) refuses while any slot moves."""
    if not isinstance(client, aioredis.RedisCluster):
        return []
    views = await client.execute_command("CLUSTER NODES", target_nodes=aioredis.RedisCluster.PRIMARIES)
    if all(isinstance(v, dict) and "flags" in v for v in views.values()):
        views = {"the only master": views}  # one target: redis-py returns its reply unwrapped
    return sorted(
        {
            f"{move['slot']} {move['state']}"
            for nodes in views.values()
            for node in nodes.values()
            if "myself" in node["flags"]
            for move in node.get("migrations", [])
        }
    )


class SlotsMoving(RuntimeError):
    """A Redis Cluster is resharding: wait until it is done (`redis-cli --cluster check`)."""


async def require_settled(client: RedisClient) -> None:
    moving = await moving_slots(client)
    if moving:
        raise SlotsMoving(
            f"the Redis Cluster is moving {len(moving)} slot(s) ({', '.join(moving[:3])}): a scan could "
            "miss keys; try again when `redis-cli --cluster check` shows no open slot"
        )


class LuaScript:
    """A Lua script called by SHA; loaded where a node answers NOSCRIPT."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()

    async def load(self, client: RedisClient) -> None:
        await client.script_load(self.text)  # on a cluster: every master

    async def run(self, client: RedisClient, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        """One call on its own (not in a pipeline)."""
        try:
            return await client.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.load(client)
            return await client.evalsha(self.sha, len(keys), *keys, *args)


class Batch:
    """A non-transactional pipeline that may hold script calls: one round trip per node.

    `async with Batch(client) as batch:` queue plain commands on `batch.pipe`, scripts with
    `batch.call`, then `await batch.execute()`: the replies in order; the first error raised."""

    def __init__(self, client: RedisClient) -> None:
        self.client = client
        self.pipe: Pipeline = client.pipeline(transaction=False)
        self._calls: dict[int, tuple[LuaScript, tuple[str | int, ...]]] = {}

    async def __aenter__(self) -> Batch:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.pipe.reset()

    def call(self, script: LuaScript, keys: Sequence[str], args: Sequence[str | int]) -> int:
        """Queue one script call; return its index among the replies."""
        index = len(self.pipe)
        argv = (len(keys), *keys, *args)
        self.pipe.execute_command("EVALSHA", script.sha, *argv)
        self._calls[index] = (script, argv)
        return index

    async def execute(self) -> list[Any]:
        replies = list(await self.pipe.execute(raise_on_error=False))
        missing = [i for i in self._calls if isinstance(replies[i], NoScriptError)]
        if missing:
            for script in {self._calls[i][0] for i in missing}:
                await script.load(self.client)
            async with self.client.pipeline(transaction=False) as again:
                for i in missing:
                    script, argv = self._calls[i]
                    again.execute_command("EVALSHA", script.sha, *argv)
                for i, reply in zip(missing, await again.execute(raise_on_error=False), strict=True):
                    replies[i] = reply
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return replies
