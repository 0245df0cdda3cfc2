"""Follow the trust topic: administrators' key trust and revocations reach every verifier.

At start-up the whole topic is replayed before the server answers, so a verifier never accepts
a token whose key was revoked before it started; then new events are applied as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition
from bhyt.v1 import events_pb2 as ev

from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority
from verifier.tokens.keys import read_trusted_keys

log = logging.getLogger(__name__)


def apply_trust_event(authority: TokenAuthority, env: ev.EventEnvelope) -> None:
    kind = env.WhichOneof("payload")
    if kind == "signing_key_trusted":
        e = env.signing_key_trusted
        for key in read_trusted_keys(e.certificate_der, "admin"):
            authority.admit(key)
    elif kind == "signing_key_revoked":
        authority.revoke(bytes.fromhex(env.signing_key_revoked.kid), env.signing_key_revoked.reason)


class TrustFeed:
    def __init__(self, settings: Settings, authority: TokenAuthority) -> None:
        self._authority = authority
        self._partition = TopicPartition(settings.topic_trust, 0)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap,
            enable_auto_commit=False,
            client_id=f"{settings.producer_name}-trust",
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self, timeout_s: float = 30.0) -> int:
        """Replay the topic to its current end, then follow it; returns the number of events applied."""
        await self._consumer.start()
        self._consumer.assign([self._partition])
        await self._consumer.seek_to_beginning(self._partition)
        end = (await self._consumer.end_offsets([self._partition]))[self._partition]
        applied = 0
        async with asyncio.timeout(timeout_s):
            while await self._consumer.position(self._partition) < end:
                batch = await self._consumer.getmany(self._partition, timeout_ms=500)
                for record in batch.get(self._partition, []):
                    applied += self._apply(record.value)
        self._task = asyncio.create_task(self._follow(), name="trust-feed")
        self._task.add_done_callback(_report_end)
        return applied

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _follow(self) -> None:
        """Runs for the verifier's life: a broker outage is waited out, never ends the feed."""
        while True:
            try:
                async for record in self._consumer:
                    self._apply(record.value)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("trust feed interrupted; resuming in 1 s")
                await asyncio.sleep(1)

    def _apply(self, value: bytes | None) -> int:
        env = ev.EventEnvelope()
        try:
            env.ParseFromString(value or b"")
            apply_trust_event(self._authority, env)
        except Exception as e:  # one unusable event (bad bytes, hex, certificate) never stops the feed
            log.error("skipping unusable trust event %s: %r", env.event_id or "?", e)
            return 0
        return 1


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("trust feed stopped: %r; revocations are no longer followed", task.exception())
