"""Running an import: read rows, write events in batches, checkpoint, report rejects and progress.

Order per batch: send every event of the batch, flush (all acked, acks=all), then write the
checkpoint. A checkpoint therefore never covers a row whose events are not durable; a crash
between flush and checkpoint resends that batch with the same event ids, which the projection
folds to the same state. Ctrl-C is honoured at the next batch boundary, so an interrupted import
resumes exactly where its checkpoint says.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO

from aiokafka import AIOKafkaProducer
from bhyt.v1 import events_pb2 as ev
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from tqdm import tqdm

from verifier.adapters.data_keys import wrapped_key_record
from verifier.adapters.kafka_log import SAME_PARTITIONS_AS_JAVA, topic_routes
from verifier.adapters.key_encryption import FileKeyEncryptionKeys
from verifier.domain.facilities import FacilityRegistry
from verifier.events import envelopes as events
from verifier.events.sealing import DataKey, needs_sealing, seal, subject_of
from verifier.imports.ledger import latest_checkpoint
from verifier.imports.rows import RowContext, RowRejected, events_for_row
from verifier.settings import Settings


@dataclass
class ImportReport:
    file_sha256: str
    rows_done: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    events_written: int = 0
    already_imported: bool = False
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return self.events_written / self.seconds if self.seconds else 0.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def count_rows(path: Path, fmt: str) -> int:
    """Approximate data rows for the progress bar's ETA (newlines, minus a CSV header)."""
    with path.open("rb") as f:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return max(0, lines - (1 if fmt == "csv" else 0))


def read_rows(path: Path, fmt: str) -> Iterator[tuple[int, dict[str, object] | str]]:
    """(file line number, row) per data row; a row that cannot be read at all is its error text."""
    with path.open(encoding="utf-8-sig", newline="") as f:  # -sig: spreadsheets add a byte-order mark
        if fmt == "csv":
            reader = csv.DictReader(f)
            for row in reader:
                if None in row:
                    yield reader.line_num, "more fields than the header names"
                else:
                    yield reader.line_num, dict(row)
            return
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                yield number, f"not JSON: {e.msg}"
                continue
            yield number, value if isinstance(value, dict) else "a JSON Lines row must be an object"


def detect_format(path: Path, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    return "jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv"


def run_import(
    path: Path,
    settings: Settings,
    *,
    fmt: str = "auto",
    rejects: Path | None = None,
    batch_rows: int = 5000,
    progress: bool = True,
    clock: Callable[[], datetime],
) -> ImportReport:
    fmt = detect_format(path, fmt)
    sha = file_sha256(path)
    report = ImportReport(file_sha256=sha)
    started = time.monotonic()
    checkpoint = latest_checkpoint(settings.kafka_bootstrap, settings.topic_imports, sha)
    if checkpoint is not None and checkpoint.completed:
        report.rows_done, report.rows_accepted = checkpoint.lines_done, checkpoint.rows_accepted
        report.rows_rejected, report.already_imported = checkpoint.rows_rejected, True
        return report
    done = checkpoint.lines_done if checkpoint else 0
    totals = ev.ImportCheckpointed(file_sha256=sha, file_name=path.name)
    if checkpoint is not None:
        totals.CopyFrom(checkpoint)

    facilities = FacilityRegistry.from_lines(
        settings.facilities_file.read_text(encoding="utf-8").splitlines()
    )
    ctx = RowContext(file_sha256=sha, at=clock(), producer="importer", facilities=facilities)
    reject_path = rejects or path.with_name(path.name + ".rejects.csv")
    bar = tqdm(total=count_rows(path, fmt), initial=done, unit="rows", disable=not progress, file=sys.stderr)
    try:
        if done and reject_path.exists():
            # Rejects written after the last checkpoint (a hard crash) are written again on resume.
            with reject_path.open("r+b") as f:
                f.truncate(totals.rejects_bytes)
        with reject_path.open("a" if done else "w", encoding="utf-8", newline="") as reject_file:
            report.interrupted = asyncio.run(
                _write_events(path, fmt, settings, ctx, totals, reject_file, bar, batch_rows, clock)
            )
    finally:
        bar.close()
    report.rows_done, report.rows_accepted = totals.lines_done, totals.rows_accepted
    report.rows_rejected, report.events_written = totals.rows_rejected, totals.events_written
    report.seconds = time.monotonic() - started
    return report


async def _write_events(
    path: Path,
    fmt: str,
    settings: Settings,
    ctx: RowContext,
    totals: ev.ImportCheckpointed,
    reject_file: IO[str],
    bar: tqdm,
    batch_rows: int,
    clock: Callable[[], datetime],
) -> bool:
    """Send every row's events; checkpoint after each batch; return True if stopped by Ctrl-C.

    aiokafka's producer is used here rather than kafka-python's (which the verifier uses): bulk
    import is throughput-bound and aiokafka builds record batches in C, about 4x faster here.
    """
    done = totals.lines_done
    topic = topic_routes(settings)["participant_enrolled"]
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap.split(","),
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        max_batch_size=512 * 1024,
        client_id="importer",
    )
    await producer.start()
    batch = _SealedBatch(producer, topic, settings)
    stop = _StopFlag(asyncio.get_running_loop())
    rejects_out = csv.writer(reject_file)
    if not done:
        rejects_out.writerow(["line", "reason", "row"])
    sent: list[asyncio.Future[object]] = []
    pending = 0
    try:
        for row_number, (line, row) in enumerate(read_rows(path, fmt), start=1):
            if row_number <= done:
                continue
            try:
                if isinstance(row, str):
                    raise RowRejected(row)
                for event in events_for_row(row, row_number, ctx):
                    await batch.add(event)
                    totals.events_written += 1
                totals.rows_accepted += 1
            except RowRejected as e:
                totals.rows_rejected += 1
                text = row if isinstance(row, str) else json.dumps(row, ensure_ascii=False)
                rejects_out.writerow([line, str(e), text])
            totals.lines_done = row_number
            pending += 1
            if pending >= batch_rows:
                sent.extend(await batch.release())
                await _checkpoint(producer, settings, totals, sent, reject_file, clock)
                bar.update(pending)
                pending = 0
                if stop.requested:
                    return True
        totals.completed = True
        sent.extend(await batch.release())
        await _checkpoint(producer, settings, totals, sent, reject_file, clock)
        bar.update(pending)
        return False
    finally:
        stop.restore()
        await producer.stop()


class _SealedBatch:
    """A batch's events, personal fields sealed (README "Personal data"): each enrollment under a
    new data key of its person, whose record is sent at once. The events follow in chunks, in
    order, each chunk once every key record it needs is acknowledged, so no reader meets a sealed
    field before its key; meanwhile the next rows are read and sealed.

    The key records go through librdkafka (confluent-kafka), partitioned as Java does like every
    other writer of that topic: aiokafka partitions in Python, and a second aiokafka send per row
    cost more than the sealing (BENCHMARKS.md, "Sealing personal data"). With sealing off, events
    are sent at once, as before."""

    CHUNK = 1000  # events held back at most per chunk

    def __init__(self, producer: AIOKafkaProducer, topic: str, settings: Settings) -> None:
        self._producer = producer
        self._topic = topic
        self._keys_topic = settings.topic_data_keys
        self._keks = FileKeyEncryptionKeys.load(settings.kek_file) if settings.seal_personal_data else None
        self._keys: Producer | None = None
        if self._keks is not None:
            self._keys = Producer(
                {
                    "bootstrap.servers": settings.kafka_bootstrap,
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 5,
                    "client.id": "importer-keys",
                    **SAME_PARTITIONS_AS_JAVA,
                }
            )
        self._failures: list[KafkaError] = []
        self._chunks: deque[tuple[list[int], list[ev.EventEnvelope]]] = deque()  # ([keys unacked], events)
        self._open: tuple[list[int], list[ev.EventEnvelope]] = ([0], [])
        self._sends: list[asyncio.Future[object]] = []

    async def add(self, event: ev.EventEnvelope) -> None:
        if self._keys is None or self._keks is None:
            self._sends.append(await self._send(event))
            return
        unacked, held = self._open
        if needs_sealing(event):
            key = DataKey.mint(subject_of(event))
            name, value = wrapped_key_record(key, self._keks, producer="importer")
            delivered = partial(self._delivered, unacked)
            while True:
                try:
                    self._keys.produce(self._keys_topic, value, name.encode(), on_delivery=delivered)
                    break
                except BufferError:  # librdkafka's queue is full: let it send
                    self._keys.poll(0.1)
            unacked[0] += 1
            seal(event, key)
        held.append(event)
        if len(held) >= self.CHUNK:
            self._chunks.append(self._open)
            self._open = ([0], [])
        self._keys.poll(0)  # delivery reports: count the chunks' keys down
        await self._send_acknowledged()

    def _delivered(self, unacked: list[int], error: KafkaError | None, _message: Message) -> None:
        unacked[0] -= 1
        if error is not None:
            self._failures.append(error)

    async def _send_acknowledged(self) -> None:
        if self._failures:
            error = self._failures[0].str()
            raise KafkaException(
                f"data keys not written ({error}): the events sealed under them are not sent"
            )
        while self._chunks and self._chunks[0][0][0] == 0:
            for e in self._chunks.popleft()[1]:
                self._sends.append(await self._send(e))

    async def _send(self, e: ev.EventEnvelope) -> asyncio.Future[object]:
        return await self._producer.send(self._topic, key=e.key.encode(), value=e.SerializeToString())

    async def release(self) -> list[asyncio.Future[object]]:
        """Every event of the batch sent, its keys acknowledged first; return the sends' futures."""
        if self._keys is not None:
            if self._open[1]:
                self._chunks.append(self._open)
                self._open = ([0], [])
            left = await asyncio.to_thread(self._keys.flush, 60.0)
            if left:
                raise KafkaException(
                    f"{left} data key(s) not confirmed: the events sealed under them are not sent"
                )
            await self._send_acknowledged()
        sends, self._sends = self._sends, []
        return sends


async def _checkpoint(
    producer: AIOKafkaProducer,
    settings: Settings,
    totals: ev.ImportCheckpointed,
    sent: list[asyncio.Future[object]],
    rejects: IO[str],
    clock: Callable[[], datetime],
) -> None:
    """Every event sent so far is acked (else this raises), then the checkpoint is made durable."""
    await asyncio.gather(*sent)
    sent.clear()
    rejects.flush()
    totals.rejects_bytes = os.fstat(rejects.fileno()).st_size
    env = events.import_checkpointed(totals, at=clock(), producer="importer")
    ack = await producer.send(settings.topic_imports, key=env.key.encode(), value=env.SerializeToString())
    await ack


class _StopFlag:
    """First Ctrl-C: finish the batch, checkpoint, stop. A second one interrupts at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.requested = False
        self._loop = loop
        loop.add_signal_handler(signal.SIGINT, self._handle)

    def _handle(self) -> None:
        self.requested = True
        self.restore()  # the next Ctrl-C raises KeyboardInterrupt as usual
        print(
            "\ninterrupt: finishing the current batch, then stopping (Ctrl-C again to abort)", file=sys.stderr
        )

    def restore(self) -> None:
        self._loop.remove_signal_handler(signal.SIGINT)
