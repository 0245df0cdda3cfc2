"""Faust workers share partitions, take over from each other, and survive a crash without loss."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from infra.local.procs import wait_until
from tests.support.client import Client
from tests.support.kafka_state import group_caught_up
from tests.support.processes import held_partitions, start_worker, verifier_process
from verifier.adapters.redis_client import connect_sync
from verifier.settings import Settings

PEOPLE = [f"DN479{i:010d}" for i in range(25)]  # well-formed, not enrolled: verdict 050, still counted


def all_partitions(settings: Settings) -> set[str]:
    return {f"{t}/{p}" for t in settings.topics for p in range(settings.topic_partitions)}


def verify_round(client: Client, cards: list[str], answered: Counter[str]) -> None:
    for card in cards:
        decision = client.verify(card)
        assert decision.check_in_id
        answered[card[-10:]] += 1


def projected_totals(client: Client, settings: Settings) -> Counter[str]:
    """Usage totals per person straight from Redis (unknown people have no card status to ask)."""
    r = connect_sync(settings.redis_url, decode_responses=True)
    try:
        return Counter({card[-10:]: int(r.hget(f"u:{{{card[-10:]}}}", "n") or 0) for card in PEOPLE})
    finally:
        r.close()


def test_two_workers_share_partitions_and_one_takes_over(settings: Settings, log_dir: Path) -> None:
    everything = all_partitions(settings)
    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        answered: Counter[str] = Counter()
        w1 = start_worker(settings, "w1", log_dir)
        w2 = start_worker(settings, "w2", log_dir)
        try:

            def shared() -> bool:
                held = held_partitions(settings)
                a, b = set(held.get("w1", ())), set(held.get("w2", ()))
                return bool(a) and bool(b) and not (a & b) and (a | b) == everything

            wait_until(shared, timeout=60, what="two workers sharing all partitions")
            verify_round(client, PEOPLE * 2, answered)
            wait_until(lambda: group_caught_up(settings), timeout=60, what="both workers caught up")
            assert projected_totals(client, settings) == answered

            w1.stop()
            wait_until(
                lambda: (
                    set(held_partitions(settings).get("w2", ())) == everything
                    and "w1" not in held_partitions(settings)
                ),
                timeout=60,
                what="w2 taking over every partition",
            )
            verify_round(client, PEOPLE, answered)
            wait_until(lambda: group_caught_up(settings), timeout=60, what="w2 caught up")
            assert projected_totals(client, settings) == answered
            assert sum(answered.values()) == 3 * len(PEOPLE)
        finally:
            w1.stop()
            w2.stop()
            client.close()


def test_killed_worker_restarts_without_loss_or_double_count(settings: Settings, log_dir: Path) -> None:
    with verifier_process(settings, log_dir):
        client = Client(settings.grpc_listen)
        answered: Counter[str] = Counter()
        worker = start_worker(settings, "w1", log_dir)
        load = threading.Thread(target=verify_round, args=(client, PEOPLE * 8, answered))
        try:
            load.start()
            wait_until(
                lambda: sum(projected_totals(client, settings).values()) >= 40,
                timeout=60,
                what="some progress",
            )
            worker.kill()  # mid-stream: applied events past the last commit will be delivered again
            assert load.is_alive() or sum(answered.values()) == len(PEOPLE) * 8
            worker = start_worker(settings, "w1-restarted", log_dir)
            load.join(120)
            assert sum(answered.values()) == len(PEOPLE) * 8
            wait_until(lambda: group_caught_up(settings), timeout=60, what="restarted worker caught up")
            assert projected_totals(client, settings) == answered
        finally:
            load.join(120)
            worker.stop()
            client.close()
