"""The monitor as a stream processor: batches of check-ins and face matches in, alerts out.

For each batch: read the state of every card and place it touches from Redis, run the pure rules
(`engine`), publish the alerts that are new or grew, and only then save the states, each with a
compare-and-set on its version. So a crash between publishing and saving republishes the same
revisions (same alert id, revision and envelope id; the alerts projection keeps one), and nothing
is ever saved as alerted without having been published. A refused save means another worker
changed that subject meanwhile (a place is fed from every partition, a card from two topics):
its deliveries are re-run from the fresh state.

Redis keys: m:c:{SIN}               hash  s = card state (JSON), v = version
            m:p:{<facility>[/<kiosk>]} hash s = place state (JSON), v = version
            m:places                set   facilities with a place state (for the dashboard)
            m:stats                 hash  taken, duplicates, late, future, alerts: running totals
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bhyt.v1.events_pb2 import EventEnvelope

from projections.monitor.alerts import alert_event, alert_of, subject_kind
from projections.monitor.engine import (
    CardState,
    Delivered,
    Outcome,
    PlaceState,
    observe_card,
    observe_place,
)
from projections.monitor.observations import seen_from_event
from projections.store import Position
from verifier.adapters.redis_client import Batch, LuaScript, RedisClient, slot_groups
from verifier.domain.geography import Geography
from verifier.monitor_rules import RulesConfig
from verifier.readmodel.places import PLACES_KEY, place_key

log = logging.getLogger(__name__)

STATS_KEY = "m:stats"
PATTERNS = ("m:*",)
FREE_ATTEMPTS = 3  # re-runs of a refused save before backing off

Publish = Callable[[Sequence[EventEnvelope]], Awaitable[None]]

_SAVE = LuaScript("""
local refused = {}
for i = 1, #KEYS do
  local a = (i - 1) * 3
  local version = redis.call('HGET', KEYS[i], 'v') or '0'
  if version == ARGV[a + 1] then
    redis.call('HSET', KEYS[i], 'v', tostring(tonumber(version) + 1), 's', ARGV[a + 2])
    redis.call('PEXPIRE', KEYS[i], ARGV[a + 3])
  else
    table.insert(refused, i)
  end
end
return refused
""")


def has_one_holder(subject: str) -> bool:
    """Card rules need one card or person behind the key: a person's SIN, or `card:<number>` for
    a number nobody holds. The verifier's catch-all keys (`scan:unreadable-qr`,
    `card:unreadable-chip`, ...) gather unrelated scans from everywhere; they still count in the
    places' rates, but as one "card" they would be a bogus traveller and an ever-growing state."""
    return subject.removeprefix("card:").isalnum()


def card_key(subject: str) -> str:
    return f"m:c:{{{subject}}}"


@dataclass(frozen=True)
class _Subject:
    name: str
    place: bool

    @property
    def key(self) -> str:
        return place_key(self.name) if self.place else card_key(self.name)


class MonitorWorker:
    def __init__(
        self,
        client: RedisClient,
        rules: RulesConfig,
        geography: Geography,
        publish: Publish,
        *,
        producer: str,
    ) -> None:
        self._redis = client
        self._rules = rules
        self._geography = geography
        self._publish = publish
        self._producer = producer

    async def process(self, events: Sequence[tuple[Position, EventEnvelope]]) -> Outcome:
        """Run the rules over a batch; return what was taken and which incidents changed."""
        pending: dict[_Subject, list[Delivered]] = defaultdict(list)
        facilities: set[str] = set()
        for position, event in events:
            seen = seen_from_event(event)
            if seen is None:
                continue
            d = Delivered(position.stream, position.offset, seen)
            if has_one_holder(event.key):
                pending[_Subject(event.key, place=False)].append(d)
            if seen.facility:
                facilities.add(seen.facility)
                pending[_Subject(seen.facility, place=True)].append(d)
                if seen.kiosk:
                    pending[_Subject(f"{seen.facility}/{seen.kiosk}", place=True)].append(d)
        total = Outcome()
        if facilities:
            await self._redis.sadd(PLACES_KEY, *sorted(facilities))
        attempts = 0
        while pending:
            if attempts >= FREE_ATTEMPTS:  # contended: let the other writer finish first
                await asyncio.sleep(min(0.01 * 2 ** (attempts - FREE_ATTEMPTS), 1.0))
            refused = await self._attempt(pending, total)
            pending = {s: pending[s] for s in refused}
            attempts += 1
        await self._count(total)
        return total

    async def _attempt(self, pending: dict[_Subject, list[Delivered]], total: Outcome) -> list[_Subject]:
        subjects = list(pending)
        async with self._redis.pipeline(transaction=False) as pipe:
            for s in subjects:
                pipe.hmget(s.key, ["s", "v"])
            rows = await pipe.execute()
        alerts: list[EventEnvelope] = []
        now = datetime.now(UTC)
        now_ms = int(now.timestamp() * 1000)
        args: list[str | int] = []
        outcomes: list[Outcome] = []
        for subject, (text, version) in zip(subjects, rows, strict=True):
            state: CardState | PlaceState
            if subject.place:
                state = PlaceState.from_json(text)
                outcome = observe_place(subject.name, state, pending[subject], self._rules, now=now_ms)
                ttl = self._rules.facility_retention_ms * 2
            else:
                state = CardState.from_json(text)
                outcome = observe_card(
                    subject.name, state, pending[subject], self._rules, self._geography, now=now_ms
                )
                ttl = self._rules.card_retention_ms + 24 * 3600 * 1000
            outcomes.append(outcome)
            kind = subject_kind(subject.name, place=subject.place)
            for incident in outcome.changed:
                alert = alert_of(incident, subject=subject.name, kind=kind, rules=self._rules)
                raised = incident.alert_id in outcome.raised
                alerts.append(alert_event(alert, raised=raised, producer=self._producer, now=now))
            args += [version or "0", state.to_json(), ttl]
        if alerts:
            await self._publish(alerts)
        refused = await self._save_states([s.key for s in subjects], args)
        for i, outcome in enumerate(outcomes):
            if i in refused:
                continue
            total.changed += outcome.changed
            if not subjects[i].place:  # count each event once, by its card
                total.taken += outcome.taken
                total.duplicates += outcome.duplicates
                total.late += outcome.late
                total.future += outcome.future
        if refused:
            log.info("monitor: %d subject(s) changed by another worker; running them again", len(refused))
        return [subjects[i] for i in sorted(refused)]

    async def _save_states(self, keys: list[str], args: list[str | int]) -> set[int]:
        """Compare-and-set each state on its version; return the indexes refused. One call on one
        Redis; on a Redis Cluster one per hash slot (a card and its places live apart)."""
        async with Batch(self._redis) as batch:
            calls = [
                (
                    group,
                    batch.call(
                        _SAVE, [keys[i] for i in group], [a for i in group for a in args[3 * i : 3 * i + 3]]
                    ),
                )
                for group in slot_groups(self._redis, keys)
            ]
            replies = await batch.execute()
        return {group[int(i) - 1] for group, reply in calls for i in replies[reply]}

    async def _count(self, total: Outcome) -> None:
        if not (total.taken or total.duplicates or total.late or total.future):
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hincrby(STATS_KEY, "taken", total.taken)
            pipe.hincrby(STATS_KEY, "duplicates", total.duplicates)
            pipe.hincrby(STATS_KEY, "late", total.late)
            pipe.hincrby(STATS_KEY, "future", total.future)
            pipe.hincrby(STATS_KEY, "alerts", len(total.changed))
            await pipe.execute()
        if total.future:
            log.warning(
                "monitor: %d event(s) dated in the future were left out (a wrong clock?)", total.future
            )
        if total.late:
            log.warning(
                "monitor: %d event(s) arrived later than the grace period and were left out", total.late
            )
