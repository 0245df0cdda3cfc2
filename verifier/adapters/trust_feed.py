"""Follow the trust topic: administrators' key trust and revocations reach every verifier.

At start-up the whole topic is replayed before the server answers, so a verifier never accepts
a token whose key was revoked before it started; then new events are applied as they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from verifier.events import UndecodableEvent, decode_event
from verifier.settings import Settings
from verifier.tokens.authority import TokenAuthority
from verifier.tokens.keys import KeyFileError, read_trusted_keys

log = logging.getLogger(__name__)


def apply_trust_event(authority: TokenAuthority, value: bytes | None) -> bool:
    """Apply one record of the trust topic; False when it was skipped.

    Fails closed: a key whose trust cannot be applied stays untrusted (skipped, logged), but a record
    that may revoke a key and cannot be applied (unreadable bytes, a schema from a newer verifier,
    a malformed kid) suspends every signing key, so a revoked key can never stay trusted because its
    revocation was unreadable. Token check-ins are then refused (T07) until the topic is repaired
    and the verifier restarted; card numbers and chip IDs are unaffected.
    """
    try:
        env = decode_event(value or b"")
    except UndecodableEvent as e:
        _suspend(authority, f"an unreadable trust event ({e})")
        return False
    kind = env.WhichOneof("payload")
    if kind == "signing_key_trusted":
        try:
            keys = read_trusted_keys(env.signing_key_trusted.certificate_der, "admin")
        except KeyFileError as e:
            log.error("trust event %s: key not trusted, its certificate is unusable: %s", env.event_id, e)
            return False
        for key in keys:
            authority.admit(key)
    elif kind == "signing_key_revoked":
        revoked = env.signing_key_revoked
        try:
            kid = bytes.fromhex(revoked.kid)
        except ValueError:
            _suspend(authority, f"revocation {env.event_id} names no readable kid ({revoked.kid!r})")
            return False
        authority.revoke(kid, revoked.reason)
    return True


def _suspend(authority: TokenAuthority, why: str) -> None:
    log.error(
        "trust feed: %s; every signing key is suspended (fail closed) until the trust topic is "
        "repaired and the verifier restarted",
        why,
    )
    authority.suspend(f"trust feed: {why}")


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
                    applied += apply_trust_event(self._authority, record.value)
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
                    apply_trust_event(self._authority, record.value)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("trust feed interrupted; resuming in 1 s")
                await asyncio.sleep(1)


def _report_end(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("trust feed stopped: %r; revocations are no longer followed", task.exception())
