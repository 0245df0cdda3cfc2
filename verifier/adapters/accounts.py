"""Accounts on Redis: the accounts projection read back (`RedisAccountsReadModel`), and the login
state that belongs to no projection (`RedisSessions`: tokens, failed-login counters, locks).

Login keys (not under the projection's "ac:", so a rebuild neither drops nor rewrites them; with
the accounts' hash tag {a}, so a token and its account share a Redis Cluster slot):
  auth:{a}:t:<token sha256>  string  username|id token sha256|expiry epoch ms, expiring with it
  auth:{a}:u:<username>      set     the token digests of that account (to revoke them all at once)
  auth:{a}:f:<scope>         string  failed logins in the current window (expires at its end)
  auth:{a}:l:<scope>         string  locked until (epoch ms), expiring then
Only digests of tokens are stored: a copy of Redis does not hand out live tokens.

Every HIS lookup authenticates and (2024) finds its staff member, so each of those is one round
trip: a script follows the token to its account, another the facility's CCCD index to the staff
record (BENCHMARKS.md, "HIS gateway: where a lookup's time goes"). Nothing is cached in the
process, so a revoked token or a disabled account is refused on the next request. The second key of
each script is read from the first, so it cannot be declared; it shares the first key's hash tag,
so on a Redis Cluster it is on the same node, in the same slot.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from verifier.adapters.redis_client import REDIS_ERRORS, LuaScript, RedisClient
from verifier.domain.accounts import AccountRecord, StaffRecord
from verifier.errors import ReadModelUnavailable
from verifier.ports import AccountsReadModel, LiveToken, LoginAttempts, TokenStore
from verifier.readmodel import accounts as schema

_SEP = "|"
# INCR, and start the window's expiry with its first failure (atomic: no counter without expiry).
_COUNT = LuaScript("""
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
""")
# KEYS[1]: auth:{a}:t:<digest>. ARGV: the account key prefix, the token value's separator. false for no
# token, else {the token's value, its account's hash as field, value, ...} ({} for no account).
_TOKEN_AND_ACCOUNT = LuaScript("""
local token = redis.call('GET', KEYS[1])
if not token then return false end
local cut = string.find(token, ARGV[2], 1, true)
if not cut then return {token, {}} end
return {token, redis.call('HGETALL', ARGV[1] .. string.sub(token, 1, cut - 1))}
""")
# KEYS[1]: ac:{a}:f:<facility>. ARGV: the CCCD field, the staff record prefix. false for nobody
# registered under that CCCD there, else {registry id, the staff record as field, value, ...}.
_STAFF_BY_PERSONAL_ID = LuaScript("""
local registry_id = redis.call('HGET', KEYS[1], ARGV[1])
if not registry_id then return false end
return {registry_id, redis.call('HGETALL', ARGV[2] .. registry_id)}
""")


def _fields(flat: list[str]) -> dict[str, str]:
    """A hash as a script returns it (field, value, field, value, ...) as HGETALL's dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


class RedisAccountsReadModel(AccountsReadModel):
    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def account(self, username: str) -> AccountRecord | None:
        try:
            fields = cast(dict[str, str], await self._redis.hgetall(schema.account_key(username)))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read accounts: {e}") from e
        return schema.account_from(username, fields)

    async def accounts(self) -> list[AccountRecord]:
        try:
            names = sorted(cast(list[str], await self._redis.hkeys(schema.ACCOUNTS_KEY)))
            async with self._redis.pipeline(transaction=False) as pipe:
                for name in names:
                    pipe.hgetall(schema.account_key(name))
                rows = await pipe.execute()
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read accounts: {e}") from e
        found = (schema.account_from(n, f) for n, f in zip(names, rows, strict=True))
        return [a for a in found if a is not None]

    async def staff_by_personal_id(self, facility_id: str, personal_id: str) -> StaffRecord | None:
        """The index entry and the record it names in one round trip (a 2024 HIS lookup's 054/055)."""
        try:
            found = await _STAFF_BY_PERSONAL_ID.run(
                self._redis,
                [schema.staff_facility_key(facility_id)],
                [schema.personal_id_field(personal_id), schema.STAFF_RECORD_PREFIX],
            )
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read registered staff: {e}") from e
        if found is None:
            return None
        registry_id, record = found
        return schema.staff_from(str(registry_id), _fields(record))

    async def staff_member(self, registry_id: str) -> StaffRecord | None:
        try:
            fields = cast(dict[str, str], await self._redis.hgetall(schema.staff_key(registry_id)))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read registered staff: {e}") from e
        return schema.staff_from(registry_id, fields)

    async def staff(self, facility_id: str = "") -> list[StaffRecord]:
        try:
            facilities = (
                [facility_id]
                if facility_id
                else sorted(cast(list[str], await self._redis.hkeys(schema.FACILITIES_KEY)))
            )
            async with self._redis.pipeline(transaction=False) as pipe:
                for facility in facilities:
                    pipe.hgetall(schema.staff_facility_key(facility))
                indexes = await pipe.execute()
            ids = [i for fields in indexes for i in sorted(schema.registry_ids(fields))]
            async with self._redis.pipeline(transaction=False) as pipe:
                for registry_id in ids:
                    pipe.hgetall(schema.staff_key(registry_id))
                rows = await pipe.execute()
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read registered staff: {e}") from e
        found = (schema.staff_from(i, f) for i, f in zip(ids, rows, strict=True))
        return [s for s in found if s is not None]


def _token_key(digest: str) -> str:
    return f"auth:{schema.TAG}:t:{digest}"


def _user_tokens_key(username: str) -> str:
    return f"auth:{schema.TAG}:u:{username}"


def _failures_key(scope: str) -> str:
    return f"auth:{schema.TAG}:f:{scope}"


def _lock_key(scope: str) -> str:
    return f"auth:{schema.TAG}:l:{scope}"


def _ms(at: datetime) -> str:
    return str(int(at.timestamp() * 1000))


def _from_ms(text: str) -> datetime:
    return datetime.fromtimestamp(int(text) / 1000, UTC)


def _live_token(value: str) -> LiveToken:
    username, id_digest, expires_ms = value.split(_SEP)
    return LiveToken(username, id_digest, _from_ms(expires_ms))


class RedisSessions(TokenStore, LoginAttempts):
    """Both login ports on one client: they share the "auth:" keys and their failure mode."""

    def __init__(self, redis: RedisClient) -> None:
        self._redis = redis

    async def keep(self, token_digest: str, token: LiveToken, *, ttl_s: int) -> None:
        value = _SEP.join((token.username, token.id_token_digest, _ms(token.expires_at)))
        ttl = max(1, ttl_s)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(_token_key(token_digest), value, ex=ttl)
                pipe.sadd(_user_tokens_key(token.username), token_digest)
                pipe.expire(_user_tokens_key(token.username), ttl, gt=True)
                pipe.expire(_user_tokens_key(token.username), ttl, nx=True)
                await pipe.execute()
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot keep the login token: {e}") from e

    async def find(self, token_digest: str) -> LiveToken | None:
        try:
            value = await self._redis.get(_token_key(token_digest))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read login tokens: {e}") from e
        return _live_token(str(value)) if value is not None else None

    async def find_with_account(self, token_digest: str) -> tuple[LiveToken, AccountRecord | None] | None:
        """The token and, read in the same round trip, the account it names as the accounts
        projection holds it now (None when it holds none): what authenticating a request needs."""
        try:
            found = await _TOKEN_AND_ACCOUNT.run(
                self._redis, [_token_key(token_digest)], [schema.ACCOUNT_PREFIX, _SEP]
            )
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read login tokens: {e}") from e
        if found is None:
            return None
        value, account = found
        live = _live_token(str(value))
        return live, schema.account_from(live.username, _fields(account))

    async def revoke_all(self, username: str) -> int:
        try:
            digests = cast(set[str], await self._redis.smembers(_user_tokens_key(username)))
            keys = [_token_key(d) for d in digests]
            removed = int(await self._redis.delete(*keys)) if keys else 0
            await self._redis.delete(_user_tokens_key(username))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot revoke login tokens: {e}") from e
        return removed

    async def revoke(self, token_digest: str) -> bool:
        # The digest stays in the account's set until that expires: revoke_all then deletes a key
        # that is gone already, which costs nothing.
        try:
            return bool(await self._redis.delete(_token_key(token_digest)))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot revoke the login token: {e}") from e

    async def locked_until(self, scope: str) -> datetime | None:
        try:
            value = await self._redis.get(_lock_key(scope))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot read login locks: {e}") from e
        return _from_ms(str(value)) if value is not None else None

    async def count_failure(self, scope: str, *, now: datetime, window_s: int) -> int:
        try:
            return int(await _COUNT.run(self._redis, [_failures_key(scope)], [max(1, window_s)]))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot count failed logins: {e}") from e

    async def lock(self, scope: str, *, until: datetime, ttl_s: int) -> None:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(_lock_key(scope), _ms(until), ex=max(1, ttl_s))
                pipe.delete(_failures_key(scope))
                await pipe.execute()
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot lock the login: {e}") from e

    async def clear(self, scope: str) -> None:
        try:
            await self._redis.delete(_failures_key(scope))
        except REDIS_ERRORS as e:
            raise ReadModelUnavailable(f"cannot clear failed logins: {e}") from e
