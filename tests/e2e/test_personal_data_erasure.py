"""Erasing a person from an immutable log, end to end (README "Personal data").

One verifier and one Faust worker. People are enrolled and checked in; one is erased with `person
erase` as VSS staff run it; the key topic's log cleaner is let run; then the whole log is read with
a plain Kafka client and the whole Redis keyspace with plain commands: the erased person's name,
birth date and personal number appear nowhere, neither in clear nor under any key still on the
key topic, while everyone else still verifies. A rebuild after the erasure gives the erased state.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import grpc
import pytest
from bhyt.v1 import api_pb2 as api

from infra.local.procs import wait_until
from projections.rebuild import digest, rebuild
from projections.registry import NAMES
from tests.support.kafka_state import group_caught_up
from tests.support.stack import Stack, StackFactory
from verifier.adapters.data_keys import DataKeyRing
from verifier.adapters.kafka_log import scan_topic
from verifier.adapters.key_encryption import FileKeyEncryptionKeys
from verifier.adapters.redis_client import connect_sync
from verifier.cli import main
from verifier.events import decode_event
from verifier.events.sealing import opened, sealed_key_id

KEPT = {"4060000201": ("Trần Thị Bình", "1975-03-14", "079175000201")}
ERASED_SIN, ERASED_NAME, ERASED_DOB, ERASED_PID = "4060000202", "Lê Văn Cường", "1962-11-30", "079062000202"
PEOPLE = {**KEPT, ERASED_SIN: (ERASED_NAME, ERASED_DOB, ERASED_PID)}


def card(sin: str) -> str:
    return f"GD440{sin}"


@pytest.fixture(scope="module")
def stack(stacks: StackFactory) -> Iterator[Stack]:
    # Key-topic segments roll after a second and tombstones go after a second, so the broker's
    # cleaner (every 15 s by default) removes an erased key within the test.
    settings = stacks.settings("erasure", data_keys_segment_ms=1000, data_keys_delete_retention_ms=1000)
    with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
        yield stack


def test_an_erased_person_is_nowhere_on_the_log_or_in_redis(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = stack.settings
    for sin, (name, born, pid) in PEOPLE.items():
        stack.enrolled(card(sin), full_name=name, date_of_birth=born, personal_id=pid)
        assert stack.client.verify(card(sin)).result_code == "000"
    by_cccd = api.VerifyCardRequest(
        personal_id=ERASED_PID, facility_id="40-001", kiosk_id="k-1", staff_id="s-1"
    )
    assert (
        stack.client.checkin.VerifyCard(by_cccd, timeout=15).result_code == "000"
    )  # found by the CCCD number

    # Sealed on the log from the start: the clear name was never written.
    assert not any(
        ERASED_NAME.encode() in (v or b"") for v in _values(settings.kafka_bootstrap, settings.topics)
    )

    with pytest.raises(SystemExit) as done:
        main(["person", "erase", card(ERASED_SIN), "--reason", "yêu cầu của người tham gia",
              "--by", "staff-7", "--target", settings.grpc_listen, "--plaintext"])  # fmt: skip
    out, err = capsys.readouterr()
    assert done.value.code == 0, err
    assert json.loads(out)["topic"] == settings.topic_participation

    wait_until(
        lambda: stack.client.verify(card(ERASED_SIN)).result_code == "K04",
        timeout=30,
        what="erasure projected",
    )
    erased = stack.client.verify(card(ERASED_SIN))
    assert "Thông tin cá nhân" in erased.result_text_vi
    status = stack.client.status(card(ERASED_SIN)).participant
    assert (status.status, status.full_name, status.personal_id) == ("erased", "", "")
    with pytest.raises(grpc.RpcError) as refused:  # no card for the app to display
        stack.client.cards.IssueCardToken(api.IssueCardTokenRequest(card_number=card(ERASED_SIN)), timeout=15)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND and "K04" in (refused.value.details() or "")

    # Let the log cleaner remove the erased key: new key records roll the segment it sits in.
    fillers = iter(range(4060000300, 4060000400))

    def erased_key_gone() -> bool:
        stack.client.enroll(card(str(next(fillers))))
        return not any(
            key.startswith(f"person:{ERASED_SIN}/".encode()) and value is not None
            for key, value in _records(settings.kafka_bootstrap, settings.topic_data_keys)
        )

    wait_until(erased_key_gone, timeout=120, interval=2.0, what="the erased key compacted away")
    wait_until(lambda: group_caught_up(settings), timeout=60, what="everything projected")

    # The whole log: nothing in clear, and nothing that the keys still on the key topic open.
    ring = DataKeyRing(
        settings.kafka_bootstrap, settings.topic_data_keys, FileKeyEncryptionKeys.load(settings.kek_file)
    )
    ring.catch_up()
    topics = (*settings.topics, settings.topic_trust, settings.topic_imports, settings.topic_data_keys)
    still_sealed = 0
    for value in _values(settings.kafka_bootstrap, topics):
        assert not _mentions_erased(value or b"")
        if value and sealed_key_id(event := decode_event(value)):
            readable = opened(event, ring.held)
            assert not _mentions_erased(readable.SerializeToString())
            still_sealed += sealed_key_id(readable) != ""
    ring.close()
    assert still_sealed == 1  # the erased person's enrollment: its key is gone

    # The whole Redis keyspace, keys and values.
    assert _redis_dump(settings.redis_url)
    for text in _redis_dump(settings.redis_url):
        assert not _mentions_erased(text.encode()), text

    # Everyone else verifies as before, name and birth date checked.
    for sin, (name, born, _) in KEPT.items():
        request = api.VerifyCardRequest(
            card_number=card(sin),
            full_name=name,
            date_of_birth=born,
            facility_id="40-001",
            kiosk_id="k-1",
            staff_id="s-1",
        )
        assert stack.client.checkin.VerifyCard(request, timeout=15).result_code == "000"


def test_a_rebuild_after_the_erasure_gives_the_erased_state(stack: Stack) -> None:
    """Last in this module: it stops the worker, as a rebuild requires."""
    wait_until(lambda: group_caught_up(stack.settings), timeout=60, what="everything projected")
    stack.worker.stop()
    live = digest(stack.settings, ["participation", "accounts"])
    for name in NAMES:
        rebuild(stack.settings, name, progress=False)
    assert digest(stack.settings, ["participation", "accounts"]) == live
    assert not any(_mentions_erased(text.encode()) for text in _redis_dump(stack.settings.redis_url))


def _mentions_erased(data: bytes) -> bool:
    forms = (ERASED_NAME, ERASED_DOB, ERASED_DOB.replace("-", ""), ERASED_PID)
    return any(form.encode() in data for form in forms)


def _records(bootstrap: str, topic: str) -> list[tuple[bytes, bytes | None]]:
    return [(r.key or b"", r.value) for r in scan_topic(bootstrap, topic)]


def _values(bootstrap: str, topics: tuple[str, ...]) -> list[bytes | None]:
    return [value for topic in topics for _, value in _records(bootstrap, topic)]


def _redis_dump(url: str) -> list[str]:
    """Every key and every value in Redis, as text."""
    client = connect_sync(url, decode_responses=True)
    out: list[str] = []
    try:
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            values: list[object] = [key]
            if kind == "string":
                values.append(client.get(key))
            elif kind == "hash":
                values.extend(f"{f!s}={v!s}" for f, v in client.hgetall(key).items())
            elif kind == "list":
                values.extend(client.lrange(key, 0, -1))
            elif kind == "set":
                values.extend(client.smembers(key))
            elif kind == "zset":
                values.extend(client.zrange(key, 0, -1))
            else:
                values.append(f"{kind!s}?")
            out.extend(str(v) for v in values)
    finally:
        client.close()
    return out
