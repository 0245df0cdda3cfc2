"""What a Redis Cluster asks of the read model's client, on a real local cluster (and one Redis):
scripts a node has never seen, batches split by slot, scans refused while slots move."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
import redis

from infra.local.procs import free_port
from infra.local.redis_cluster import RedisClusterNodes
from infra.local.redis_server import RedisServer
from projections.store import Mutation, Position, ProjectionStore
from verifier.adapters.redis_client import (
    SlotsMoving,
    connect,
    connect_sync,
    is_cluster_url,
    require_settled,
    slot_groups,
)


def counting(subject: str) -> Mutation:
    key = f"u:{{{subject}}}"
    return Mutation(guard_key=key, commands=(("HINCRBY", key, "n", "1"),))


async def test_a_script_no_node_holds_is_loaded_and_only_the_refused_calls_sent_again(
    any_redis_url: str,
) -> None:
    """As after a failover: the promoted replica has an empty script cache (Redis does not replicate
    it). Every call of the batch must apply exactly once."""
    client = connect(any_redis_url, decode_responses=True)
    store = ProjectionStore(client)
    assert await store.apply([(Position("t", 0, 1), counting("a"))]) == 1  # the script is cached now
    await client.script_flush()  # on a cluster: every master
    batch = [(Position("t", 0, offset), counting(f"p{offset}")) for offset in range(2, 30)]
    assert await store.apply(batch) == len(batch)
    assert await store.apply(batch) == 0  # and a redelivery changes nothing
    values = [await client.hget(f"u:{{p{offset}}}", "n") for offset in range(2, 30)]
    assert values == ["1"] * len(batch)
    await client.aclose()


async def test_a_batch_is_one_script_call_on_one_redis_and_one_per_slot_on_a_cluster(
    redis_server: RedisServer, redis_cluster: RedisClusterNodes
) -> None:
    keys = [f"p:{{40{i:08d}}}" for i in range(50)] + ["u:{4000000000}"]  # the last shares a slot
    one = connect(redis_server.url)
    assert slot_groups(one, keys) == [list(range(len(keys)))]
    cluster = connect(redis_cluster.url)
    groups = slot_groups(cluster, keys)
    assert sorted(i for g in groups for i in g) == list(range(len(keys)))
    assert [0, 50] in groups and len(groups) == 50
    await one.aclose()
    await cluster.aclose()


@contextmanager
def slot_moving(cluster: RedisClusterNodes) -> Iterator[int]:
    """The first master's first slot marked as importing into another master, as `redis-cli
    --cluster reshard` does before it moves keys."""
    owner, other = cluster.master_ports()[:2]
    slot = int(next(r.slots for r in cluster.roles() if r.port == owner).split("-")[0])
    source = redis.Redis(port=owner, decode_responses=True)
    target = redis.Redis(port=other, decode_responses=True)
    target.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", source.execute_command("CLUSTER MYID"))
    try:
        yield slot
    finally:
        target.execute_command("CLUSTER SETSLOT", slot, "STABLE")
        source.close()
        target.close()


async def test_a_scan_of_every_key_is_refused_while_a_slot_moves(redis_cluster: RedisClusterNodes) -> None:
    client = connect(redis_cluster.url, decode_responses=True)
    with slot_moving(redis_cluster) as slot, pytest.raises(SlotsMoving, match=f"{slot} importing"):
        await require_settled(client)
    await require_settled(client)  # settled again: no error
    await client.aclose()


def test_a_client_starting_while_its_first_seed_is_down_finds_the_cluster(
    redis_cluster: RedisClusterNodes,
) -> None:
    assert is_cluster_url(redis_cluster.url) and not is_cluster_url("redis://127.0.0.1:6379/0")
    dead = f"127.0.0.1:{free_port()}"
    client = connect_sync(redis_cluster.url.replace("//", f"//{dead},", 1), decode_responses=True)
    assert isinstance(client, redis.RedisCluster)
    client.set("seed:{x}", "found")
    assert client.get("seed:{x}") == "found"
    client.close()
    with pytest.raises(ValueError, match="host:port seeds"):
        connect_sync("redis+cluster://127.0.0.1:7000,nohost")


async def test_on_a_cluster_an_index_entry_follows_its_record_and_a_stale_one_is_not_written(
    redis_cluster: RedisClusterNodes,
) -> None:
    """The CCCD index lives in another slot than the record, so on a cluster it is written after
    it: a crash between the two is healed by the redelivery; a refused (stale) record writes none."""
    from datetime import UTC, date, datetime

    from projections.participation import model
    from verifier.domain.participation import Gender, Participation
    from verifier.events import envelopes as events
    from verifier.readmodel.participation import personal_id_key

    at = datetime(2026, 6, 1, tzinfo=UTC)
    person = Participation("4016354956", "GD4404016354956", "Nguyễn Văn An", date(1990, 5, 1),
                           Gender.MALE, "40-C54", date(2026, 1, 1), date(2026, 12, 31),
                           personal_id="001090001234")  # fmt: skip
    enrolled = (Position("t", 0, 1), events.participant_enrolled(person, at=at, producer="t"))
    client = connect(redis_cluster.url, decode_responses=True)
    await client.flushdb()
    store = ProjectionStore(client)
    await model.apply_batch(store, [enrolled])
    await client.delete(personal_id_key("001090001234"))  # as if the worker died before the entry
    await model.apply_batch(store, [enrolled])  # the redelivery
    assert await client.get(personal_id_key("001090001234")) == "4016354956"

    # A later snapshot gives the person another CCCD, and the old number goes to someone else:
    moved = replace(person, personal_id="001090009999")
    await model.apply_batch(
        store, [(Position("t", 0, 2), events.participant_enrolled(moved, at=at, producer="t"))]
    )
    await client.set(personal_id_key("001090001234"), "4099999999")
    await model.apply_batch(store, [enrolled])  # offset 1 again: refused, and so is its old entry
    assert await client.get(personal_id_key("001090001234")) == "4099999999"
    await client.aclose()
