"""The Redis read model: its key schema, its record encoding, and the verifier's reader.

The projections write these keys and the verifier reads them, so both import this one module.
Every key of one person carries the person's id as a Redis hash tag (`{...}`), so all of them live
in one slot of a Redis Cluster and one Lua script may update them atomically.

Keys (SIN = 10-digit social insurance number):
  p:{SIN}           hash   participation record (short field names: millions of these)
  u:{SIN}           hash   usage totals: n (check-ins), a (accepted), lf (last facility), lt (last ms)
  u:{SIN}:d:YYYYMMDD string check-ins that Vietnam day
  u:{SIN}:r         list   recent check-ins, newest first: id|facility|kiosk|code|epoch-ms
  applied:{SIN}     hash   topic/partition -> last applied offset (idempotence guard)
  i:<personal id>   string SIN of the holder of a 12-digit CCCD number (index; its own slot)
Usage of a card number that matched nobody is kept under the subject `card:<number>`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from verifier.domain.participation import Gender, Participation
from verifier.domain.usage import Usage, UsageEntry
from verifier.errors import ReadModelUnavailable
from verifier.ports import ReadModel


def participant_key(sin: str) -> str:
    return f"p:{{{sin}}}"


def usage_key(subject: str) -> str:
    return f"u:{{{subject}}}"


def usage_day_key(subject: str, day: date) -> str:
    return f"u:{{{subject}}}:d:{day:%Y%m%d}"


def usage_recent_key(subject: str) -> str:
    return f"u:{{{subject}}}:r"


def applied_key(subject: str) -> str:
    return f"applied:{{{subject}}}"


def personal_id_key(personal_id: str) -> str:
    return f"i:{personal_id}"


def unknown_card_subject(presented_number: str) -> str:
    return f"card:{presented_number}"


_GENDER_CODES = {Gender.MALE: "m", Gender.FEMALE: "f", Gender.UNSPECIFIED: ""}
_GENDERS = {v: k for k, v in _GENDER_CODES.items()}


def encode_participation(p: Participation) -> dict[str, str]:
    return {
        "c": p.card_number,
        "n": p.full_name,
        "b": p.date_of_birth.isoformat(),
        "g": _GENDER_CODES[p.gender],
        "f": p.registered_facility,
        "vf": p.valid_from.isoformat(),
        "vt": p.valid_to.isoformat(),
        "i": p.personal_id,
        "y": p.five_years_from.isoformat() if p.five_years_from else "",
    }


def decode_participation(sin: str, h: dict[str, str]) -> Participation:
    return Participation(
        social_insurance_number=sin,
        card_number=h["c"],
        full_name=h.get("n", ""),
        date_of_birth=date.fromisoformat(h["b"]),
        gender=_GENDERS.get(h.get("g", ""), Gender.UNSPECIFIED),
        registered_facility=h.get("f", ""),
        valid_from=date.fromisoformat(h["vf"]),
        valid_to=date.fromisoformat(h["vt"]),
        personal_id=h.get("i", ""),
        five_years_from=date.fromisoformat(h["y"]) if h.get("y") else None,
    )


def encode_usage_entry(e: UsageEntry) -> str:
    return "|".join((e.check_in_id, e.facility_id, e.kiosk_id, e.result_code, str(_ms(e.at))))


def decode_usage_entry(text: str) -> UsageEntry:
    check_in_id, facility, kiosk, code, ms = text.split("|")
    return UsageEntry(check_in_id, facility, kiosk, code, _from_ms(int(ms)))


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def _from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


class RedisReadModel(ReadModel):
    """Millisecond reads for check-in and the card display; Redis errors become ReadModelUnavailable."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    async def participant(self, social_insurance_number: str) -> Participation | None:
        try:
            h = cast(dict[str, str], await self._redis.hgetall(participant_key(social_insurance_number)))
        except RedisError as e:
            raise ReadModelUnavailable(f"participation projection unreachable: {e}") from e
        return decode_participation(social_insurance_number, h) if h else None

    async def social_insurance_number_for(self, personal_id: str) -> str | None:
        try:
            sin = cast(str | None, await self._redis.get(personal_id_key(personal_id)))
        except RedisError as e:
            raise ReadModelUnavailable(f"participation projection unreachable: {e}") from e
        return sin

    async def usage(self, subject: str, *, day: date, recent: int) -> Usage:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(usage_key(subject))
                pipe.get(usage_day_key(subject, day))
                pipe.lrange(usage_recent_key(subject), 0, max(recent - 1, 0))
                totals, today, entries = await pipe.execute()
        except RedisError as e:
            raise ReadModelUnavailable(f"usage projection unreachable: {e}") from e
        return Usage(
            check_ins_today=int(today or 0),
            check_ins_total=int(totals.get("n", 0)),
            accepted_total=int(totals.get("a", 0)),
            last_facility_id=totals.get("lf", ""),
            last_check_in_at=_from_ms(int(totals["lt"])) if totals.get("lt") else None,
            recent=tuple(decode_usage_entry(e) for e in entries) if recent else (),
        )
