"""Administration of card-token signing keys: list, trust, revoke, reload.

Trust and revocation are written as events first and applied only once durable, like every
decision here; the trust feed then brings them to the other verifiers.
"""

from __future__ import annotations

import re

from verifier.errors import BadRequest, NotConfigured, NotFound
from verifier.events.facts import SigningKeyRevoked, SigningKeyTrusted
from verifier.ports import EventLog
from verifier.service.pipeline import Clock
from verifier.tokens.authority import KeyView, TokenAuthority
from verifier.tokens.keys import KeyFileError, read_trusted_keys

_KID = re.compile(r"[0-9a-f]{16}")
_MAX_CERTIFICATE_BYTES = 64 * 1024


class KeyAdmin:
    def __init__(self, authority: TokenAuthority, event_log: EventLog, clock: Clock) -> None:
        self._authority = authority
        self._log = event_log
        self._clock = clock

    def signing_keys(self) -> list[KeyView]:
        return self._authority.views(self._clock())

    async def trust(self, certificate: bytes, reason: str) -> KeyView:
        if not certificate or len(certificate) > _MAX_CERTIFICATE_BYTES:
            raise BadRequest(f"certificate: 1 to {_MAX_CERTIFICATE_BYTES} bytes of PEM, DER or base64 DER")
        try:
            keys = read_trusted_keys(certificate, "admin")
        except KeyFileError as e:
            raise BadRequest(f"certificate: {e}") from e
        if len(keys) != 1 or not keys[0].certificate_der:
            raise BadRequest("certificate: give exactly one X.509 certificate")
        key = keys[0]
        await self._log.append(SigningKeyTrusted(signing_key=key, reason=reason, at=self._clock()))
        self._authority.admit(key)
        return self._view(key.kid)

    async def revoke(self, kid_hex: str, reason: str) -> KeyView:
        kid_hex = kid_hex.strip().lower()
        if not _KID.fullmatch(kid_hex):
            raise BadRequest("kid: 16 hexadecimal digits")
        kid = bytes.fromhex(kid_hex)
        if self._authority.trust.get(kid) is None:
            raise NotFound(f"no signing key with kid {kid_hex}")
        reason = reason or "revoked"
        await self._log.append(SigningKeyRevoked(kid=kid, reason=reason, at=self._clock()))
        self._authority.revoke(kid, reason)
        return self._view(kid)

    def reload(self) -> list[KeyView]:
        try:
            self._authority.reload()
        except KeyFileError as e:
            raise NotConfigured(f"keys not reloaded, the previous ones stay in use: {e}") from e
        return self.signing_keys()

    def _view(self, kid: bytes) -> KeyView:
        return next(v for v in self._authority.views(self._clock()) if v.key.kid == kid)
