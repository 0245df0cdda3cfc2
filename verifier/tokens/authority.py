"""One verifier's token authority: the policy, the keys it signs with, the keys it trusts.

Keys come from two sources. Files in the keys directory (re-read on reload, so a rotated key is
picked up without a restart) and administrator events (trust, revoke) that every verifier
follows on the trust topic. A revocation always wins over any source that trusts the key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from verifier.settings import Settings
from verifier.tokens.card_token import CardClaims, IssuedToken, TokenReport, issue_card_token, verify_token
from verifier.tokens.cose import ALGORITHM_NAMES, algorithm_for
from verifier.tokens.framing import DEFAULT_LIMITS, Limits
from verifier.tokens.keys import (
    KeyFileError,
    SigningKey,
    TrustedKey,
    TrustStore,
    load_signing_key,
    read_trusted_key_file,
)

log = logging.getLogger(__name__)

_KEY_SUFFIX = ".key.pem"
_CERT_SUFFIX = ".cert.pem"
_TRUSTED_SUFFIXES = (".pem", ".crt", ".cer", ".der")


@dataclass(frozen=True)
class TokenPolicy:
    prefix: str = "BHYT1:"
    accepted_prefixes: tuple[str, ...] = ("BHYT1:",)
    issuer: str = "VN-BHXH"
    lifetime: timedelta = timedelta(minutes=5)
    clock_skew: timedelta = timedelta(seconds=30)
    limits: Limits = DEFAULT_LIMITS

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenPolicy:
        extra = tuple(p.strip() for p in settings.token_extra_prefixes.split(",") if p.strip())
        return cls(
            prefix=settings.token_prefix,
            accepted_prefixes=(settings.token_prefix, *extra),
            issuer=settings.token_issuer,
            lifetime=timedelta(seconds=settings.token_lifetime_s),
            clock_skew=timedelta(seconds=settings.token_clock_skew_s),
            limits=Limits(settings.token_max_chars, settings.token_max_decompressed_bytes),
        )


@dataclass(frozen=True)
class KeyView:
    """A key as administrators see it."""

    key: TrustedKey
    alg: str
    revoked: str | None
    issuing: bool


class TokenAuthority:
    def __init__(self, policy: TokenPolicy, keys_dir: Path | None = None) -> None:
        self.policy = policy
        self._keys_dir = keys_dir
        self._signing: list[SigningKey] = []
        self._file_keys: list[TrustedKey] = []
        self._admin_keys: dict[bytes, TrustedKey] = {}
        self._revoked: dict[bytes, str] = {}
        self._suspended = ""  # why every key is treated as revoked (fail closed), "" normally
        self.trust = TrustStore()

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenAuthority:
        authority = cls(
            TokenPolicy.from_settings(settings),
            Path(settings.token_keys_dir) if settings.token_keys_dir else None,
        )
        authority.reload()
        return authority

    def reload(self) -> None:
        """Re-read the keys directory; on any bad file keep the previous keys and raise KeyFileError."""
        signing, trusted = _read_keys_dir(self._keys_dir) if self._keys_dir else ([], [])
        self._signing, self._file_keys = signing, trusted
        self._rebuild()
        log.info("token keys: %d signing, %d trusted", len(signing), len(self.trust))

    def admit(self, key: TrustedKey) -> None:
        self._admin_keys[key.kid] = key
        self._rebuild()  # a suspended authority revokes the new key too

    def revoke(self, kid: bytes, reason: str) -> None:
        self._revoked[kid] = reason
        self.trust.revoke(kid, reason)

    def suspend(self, reason: str) -> None:
        """Treat every key, present and future, as revoked: the trust feed could not apply a record
        that may have been a revocation. Lasts for the process's life; a reload keeps it."""
        self._suspended = reason
        self._rebuild()

    def issuing_key(self, at: datetime) -> SigningKey | None:
        """The newest signing key valid now and not revoked: a rotation takes effect by itself."""
        usable = [k for k in self._signing if k.trusted.covers(at) and self.trust.revocation(k.kid) is None]
        return max(usable, key=lambda k: k.trusted.not_before or at, default=None)

    def signing_expiries(self) -> list[tuple[str, datetime]]:
        """(kid in hex, not_after) of each key we sign with: what the key-expiry alert watches."""
        return [(k.trusted.kid_hex, k.trusted.not_after) for k in self._signing if k.trusted.not_after]

    def issue(self, card: CardClaims, at: datetime) -> IssuedToken | None:
        key = self.issuing_key(at)
        if key is None:
            return None
        return issue_card_token(
            card,
            key,
            issuer=self.policy.issuer,
            issued_at=at,
            lifetime=self.policy.lifetime,
            prefix=self.policy.prefix,
        )

    def verify(self, text: str, at: datetime) -> TokenReport:
        return verify_token(
            text,
            self.trust,
            at,
            prefixes=self.policy.accepted_prefixes,
            clock_skew=self.policy.clock_skew,
            limits=self.policy.limits,
        )

    def looks_like_token(self, text: str) -> bool:
        return text.lstrip().startswith(self.policy.accepted_prefixes)

    def views(self, at: datetime) -> list[KeyView]:
        issuing = self.issuing_key(at)
        return [
            KeyView(
                key=k,
                alg=ALGORITHM_NAMES.get(algorithm_for(k.public_key), "?"),
                revoked=self.trust.revocation(k.kid),
                issuing=issuing is not None and issuing.kid == k.kid,
            )
            for k in self.trust.all_keys()
        ]

    def _rebuild(self) -> None:
        signers = [k.trusted for k in self._signing]
        store = TrustStore([*signers, *self._file_keys, *self._admin_keys.values()])
        for kid, reason in self._revoked.items():
            store.revoke(kid, reason)
        if self._suspended:
            for key in store.all_keys():
                store.revoke(key.kid, self._suspended)
        self.trust = store


def _read_keys_dir(directory: Path) -> tuple[list[SigningKey], list[TrustedKey]]:
    if not directory.is_dir():
        raise KeyFileError(f"{directory}: the token keys directory does not exist")
    signing: list[SigningKey] = []
    trusted: list[TrustedKey] = []
    paired: set[Path] = set()
    for key_path in sorted(directory.glob(f"*{_KEY_SUFFIX}")):
        cert_path = key_path.with_name(key_path.name[: -len(_KEY_SUFFIX)] + _CERT_SUFFIX)
        if not cert_path.exists():
            raise KeyFileError(f"{key_path}: no certificate {cert_path.name} next to it")
        signing.append(load_signing_key(key_path, cert_path))
        paired.update((key_path, cert_path))
    for path in sorted(directory.iterdir()):
        if path not in paired and path.is_file() and path.name.endswith(_TRUSTED_SUFFIXES):
            trusted.extend(read_trusted_key_file(path))
    return signing, trusted
