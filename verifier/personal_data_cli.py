"""`python -m verifier person retention|migrate` and `python -m verifier kek add|rewrap|status`:
the administration of personal data (README "Personal data").

These run where the importer runs, straight against Kafka and Redis with the service's settings,
because they work in bulk: the retention policy over every record, the migration over the whole
participation history, the re-wrap over every data key. One person's erasure is `person erase`,
over gRPC with the admin certificate like every other staff command.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from datetime import date
from typing import Any

from tqdm import tqdm

from verifier.adapters.data_keys import DataKeyRing
from verifier.adapters.kafka_log import KafkaEventLog, ensure_topics
from verifier.adapters.key_encryption import FileKeyEncryptionKeys, add_key
from verifier.adapters.redis_client import connect_sync
from verifier.adapters.seal_migration import migrate_sealed
from verifier.bootstrap import utc_now
from verifier.domain.calendar import vietnam_date
from verifier.domain.lifecycle import Erasure
from verifier.domain.retention import RetentionPolicy
from verifier.events.facts import lifecycle_fact
from verifier.readmodel.participation import RECORD_FIELD, decode_participation
from verifier.settings import Settings

# Namespace of retention erasures' event ids: the same person erased by the same policy run twice
# is the same fact.
_RETENTION = uuid.UUID("5d0c1c55-2b8e-4c43-9d8e-2f6a2e4b7d11")


def add_personal_data_parsers(person_actions: Any, sub: Any) -> None:
    retention = person_actions.add_parser(
        "retention",
        help="xoá thông tin cá nhân của những người đã hết tham gia quá thời hạn lưu trữ (apply the "
        "retention policy: erase people whose coverage ended more than N years ago)",
    )
    retention.add_argument(
        "--years", type=int, help="thời hạn lưu trữ, năm (retention period; default BHYT_RETENTION_YEARS)"
    )
    retention.add_argument("--dry-run", action="store_true", help="chỉ đếm, không xoá (count only)")
    retention.add_argument("--today", type=date.fromisoformat, help=argparse.SUPPRESS)
    retention.add_argument("--no-progress", action="store_true", help="không hiện tiến độ (no progress bar)")
    retention.set_defaults(run=_retention)

    migrate = person_actions.add_parser(
        "migrate",
        help="chép lịch sử tham gia sang chủ đề mới, niêm phong thông tin cá nhân (one-off: copy the "
        "participation history into a new topic with every personal field sealed)",
    )
    migrate.add_argument("--to", required=True, dest="target", help="chủ đề mới (the new topic's name)")
    migrate.add_argument("--from", dest="source", help="chủ đề nguồn (default BHYT_TOPIC_PARTICIPATION)")
    migrate.add_argument("--no-progress", action="store_true", help="không hiện tiến độ (no progress bar)")
    migrate.set_defaults(run=_migrate)

    kek = sub.add_parser("kek", help="khoá mã hoá khoá dữ liệu (key-encryption keys: add, rewrap, status)")
    actions = kek.add_subparsers(required=True, metavar="ACTION")
    actions.add_parser(
        "add", help="thêm khoá mới, dùng từ nay (add a new current key to BHYT_KEK_FILE)"
    ).set_defaults(run=_kek_add)
    actions.add_parser(
        "rewrap",
        help="bọc lại mọi khoá dữ liệu bằng khoá hiện hành (re-wrap every data key under the current key)",
    ).set_defaults(run=_kek_rewrap)
    actions.add_parser(
        "status", help="số khoá dữ liệu theo từng khoá bọc (data keys per key-encryption key)"
    ).set_defaults(run=_kek_status)


def _retention(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    policy = RetentionPolicy(args.years or settings.retention_years)
    today = args.today or vietnam_date(utc_now())
    due = list(_due(settings, policy, today, progress=not args.no_progress))
    summary: dict[str, Any] = {
        "years": policy.years,
        "cutoff": policy.cutoff(today).isoformat(),
        "due": len(due),
    }
    if args.dry_run:
        print(json.dumps({**summary, "erased": 0, "dry_run": True}))
        return 0
    erased = asyncio.run(_erase_all(settings, policy, due, progress=not args.no_progress))
    print(json.dumps({**summary, "erased": erased, "dry_run": False}))
    return 0


def _due(settings: Settings, policy: RetentionPolicy, today: date, *, progress: bool) -> list[str]:
    client = connect_sync(settings.redis_url)
    due: list[str] = []
    try:
        with tqdm(
            unit=" records", desc="đọc hồ sơ (reading records)", disable=not progress, file=sys.stderr
        ) as bar:
            for key in client.scan_iter(match="p:*", count=1000):
                packed = client.hget(key, RECORD_FIELD)
                bar.update(1)
                if not packed:
                    continue
                name, text = (x.decode() if isinstance(x, bytes) else str(x) for x in (key, packed))
                sin = name.removeprefix("p:").strip("{}")
                if policy.due(decode_participation(sin, text), today):
                    due.append(sin)
    finally:
        client.close()
    return sorted(due)


async def _erase_all(
    settings: Settings, policy: RetentionPolicy, people: list[str], *, progress: bool
) -> int:
    event_log = KafkaEventLog.connect(settings.with_(producer_name="retention"))
    reason = f"hết thời hạn lưu trữ {policy.years} năm (retention period of {policy.years} years ended)"
    try:
        with tqdm(
            total=len(people), unit=" people", desc="xoá (erasing)", disable=not progress, file=sys.stderr
        ) as bar:
            for sin in people:
                event_id = str(uuid.uuid5(_RETENTION, f"{sin}:{policy.years}"))
                change = Erasure(sin, reason, "retention")
                await event_log.append(lifecycle_fact(change, at=utc_now(), event_id=event_id))
                bar.update(1)
    finally:
        event_log.close()
    return len(people)


def _migrate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    ensure_topics(settings)
    source = args.source or settings.topic_participation
    keks = FileKeyEncryptionKeys.load(settings.kek_file)
    with tqdm(
        unit=" events", desc=f"{source} -> {args.target}", disable=args.no_progress, file=sys.stderr
    ) as bar:
        report = migrate_sealed(
            settings.kafka_bootstrap, source, args.target, settings.topic_data_keys, keks,
            replication=settings.topic_replication, progress=bar.update,
        )  # fmt: skip
    print(json.dumps(report.__dict__))
    print(
        f"xong: đặt BHYT_TOPIC_PARTICIPATION={args.target}, dựng lại (projections rebuild), rồi xoá "
        f"{source} (done: point BHYT_TOPIC_PARTICIPATION at {args.target}, rebuild the projections, "
        f"then delete {source})",
        file=sys.stderr,
    )
    return 0


def _kek_add(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    kek_id = add_key(settings.kek_file)
    print(json.dumps({"kek_file": str(settings.kek_file), "current": kek_id}))
    print("tiếp theo: python -m verifier kek rewrap (next: re-wrap every data key under it)", file=sys.stderr)
    return 0


def _kek_rewrap(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    event_log = KafkaEventLog.connect(settings.with_(producer_name="kek-rewrap"))
    try:
        rewrapped = asyncio.run(event_log.rewrap_data_keys())
    finally:
        event_log.close()
    print(json.dumps({"rewrapped": rewrapped}))
    return 0


def _kek_status(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    keks = FileKeyEncryptionKeys.load(settings.kek_file, create=False)
    ring = DataKeyRing(settings.kafka_bootstrap, settings.topic_data_keys, keks)
    try:
        ring.catch_up()
        counts: dict[str, int] = dict.fromkeys(keks.ids, 0)
        for w in ring.wrapped_keys():
            counts[w.kek_id] = counts.get(w.kek_id, 0) + 1
    finally:
        ring.close()
    print(json.dumps({"current": keks.current_id, "data_keys_per_kek": counts}))
    return 0
