"""The card token: what the mobile app shows as a QR and a kiosk verifies, online or offline.

Claims (a CWT, RFC 8392): iss, iat, exp, cti (16 random bytes: the token id that replay
detection keys on) and the card under a private claim key. Only what the card display and the
check-in need travels: card number, name, birth date, gender, registered facility, validity.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2

from verifier.domain.calendar import parse_birth_date
from verifier.tokens import problems as p
from verifier.tokens.cose import (
    ALGORITHM_NAMES,
    UnsupportedAlgorithm,
    parse_sign1,
    sign1,
    verify_signature,
)
from verifier.tokens.cose import loads as cbor_loads
from verifier.tokens.framing import DEFAULT_LIMITS, Limits, unwrap, wrap
from verifier.tokens.keys import SigningKey, TrustStore

# CWT claim keys (RFC 8392 §3.1, IANA "CBOR Web Token Claims").
ISS, SUB, AUD, EXP, NBF, IAT, CTI = 1, 2, 3, 4, 5, 6, 7
CWT_CLAIM_NAMES = {ISS: "iss", SUB: "sub", AUD: "aud", EXP: "exp", NBF: "nbf", IAT: "iat", CTI: "cti"}
# Keys under -65536 are "Private Use" in the IANA CWT registry; ours ends in 84, Vietnam's code.
BHYT_CARD_CLAIM = -65584
EU_DCC_CLAIM = -260  # hcert: shown by name so DCC tokens read well in the operator CLI
CLAIM_NAMES = {**CWT_CLAIM_NAMES, BHYT_CARD_CLAIM: "bhyt_card", EU_DCC_CLAIM: "hcert"}
CARD_CLAIM_VERSION = 1
MAX_NAME_CHARS = 200  # the identity check's limit (`IdentityClaim.parse`)
DEFAULT_PREFIX = "BHYT1:"


@dataclass(frozen=True)
class CardClaims:
    """The card as the app displays it. Dates ISO YYYY-MM-DD, except a birth date VSS holds only
    the year of ("YYYY") and an open-ended card's valid_to (""); gender "male", "female" or "".
    Tokens issued before those existed carry full dates, which read as they always did."""

    card_number: str
    full_name: str
    date_of_birth: str
    gender: str
    registered_facility: str
    valid_from: str
    valid_to: str
    five_years_from: str = ""

    @property
    def social_insurance_number(self) -> str:
        return self.card_number[-10:]

    def to_cbor(self) -> dict[str, Any]:
        card = {
            "v": CARD_CLAIM_VERSION,
            "no": self.card_number,
            "nm": self.full_name,
            "dob": self.date_of_birth,
            "g": {"male": 1, "female": 2}.get(self.gender, 0),
            "fac": self.registered_facility,
            "vf": self.valid_from,
            "vt": self.valid_to,
        }
        if self.five_years_from:
            card["5y"] = self.five_years_from
        return card

    @classmethod
    def from_cbor(cls, card: object) -> CardClaims:
        if not isinstance(card, dict):
            raise p.TokenProblem(p.MALFORMED, "card claim is not a map")
        if card.get("v") != CARD_CLAIM_VERSION:
            raise p.TokenProblem(p.MALFORMED, f"card claim version {_text(card.get('v'))} is not supported")
        texts = {k: card.get(k, "") for k in ("no", "nm", "dob", "fac", "vf", "vt", "5y")}
        if not all(isinstance(v, str) for v in texts.values()) or card.get("g") not in (0, 1, 2):
            raise p.TokenProblem(p.MALFORMED, "card claim fields have the wrong types")
        if len(texts["no"]) not in (10, 15):
            raise p.TokenProblem(p.MALFORMED, "card claim holds no card number")
        # What the check-in reads must be judgeable: a signed name or birth date the identity check
        # refuses would turn a scan into a bad-request error instead of a verdict.
        if len(texts["nm"]) > MAX_NAME_CHARS:
            raise p.TokenProblem(p.MALFORMED, f"card claim name is over {MAX_NAME_CHARS} characters")
        if texts["dob"] and not _is_birth_date(texts["dob"]):
            raise p.TokenProblem(p.MALFORMED, "card claim date of birth is not YYYY-MM-DD or YYYY")
        return cls(
            card_number=texts["no"],
            full_name=texts["nm"],
            date_of_birth=texts["dob"],
            gender={1: "male", 2: "female"}.get(card["g"], ""),
            registered_facility=texts["fac"],
            valid_from=texts["vf"],
            valid_to=texts["vt"],
            five_years_from=texts["5y"],
        )


@dataclass(frozen=True)
class IssuedToken:
    text: str
    token_id: str  # hex of cti
    kid: str  # hex
    alg: str
    issued_at: datetime
    expires_at: datetime
    card: CardClaims


def issue_card_token(
    card: CardClaims,
    key: SigningKey,
    *,
    issuer: str,
    issued_at: datetime,
    lifetime: timedelta,
    prefix: str = DEFAULT_PREFIX,
    token_id: bytes | None = None,
) -> IssuedToken:
    token_id = os.urandom(16) if token_id is None else token_id
    iat = int(issued_at.timestamp())
    exp = iat + max(1, int(lifetime.total_seconds()))
    claims = {ISS: issuer, IAT: iat, EXP: exp, CTI: token_id, BHYT_CARD_CLAIM: card.to_cbor()}
    message = sign1(cbor2.dumps(claims), key.private_key, key.kid, key.alg)
    return IssuedToken(
        text=wrap(message.to_bytes(), prefix),
        token_id=token_id.hex(),
        kid=key.kid.hex(),
        alg=ALGORITHM_NAMES[key.alg],
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(exp, UTC),
        card=card,
    )


@dataclass(frozen=True)
class TokenReport:
    """Every check's outcome, so an operator sees which step failed and a kiosk gets one code.

    `claims` are shown even when the signature fails (marked by `signature_valid`), because an
    operator investigating a forgery needs to see what it claimed; nothing acts on them then.
    """

    errors: tuple[str, ...]
    prefix: str = ""
    kid: str = ""
    alg: str = ""
    signature_valid: bool = False
    expired: bool = False
    not_yet_valid: bool = False
    issued_at: datetime | None = None
    expires_at: datetime | None = None
    token_id: str = ""
    issuer: str = ""
    claims: dict[str, Any] = field(default_factory=dict)
    card: CardClaims | None = None
    detail: str = ""

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "signature_valid": self.signature_valid,
            "kid": self.kid,
            "alg": self.alg,
            "expired": self.expired,
            "not_yet_valid": self.not_yet_valid,
            "issued_at": self.issued_at.isoformat() if self.issued_at else None,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "token_id": self.token_id,
            "prefix": self.prefix,
            "claims": self.claims,
            "errors": list(self.errors),
            "detail": self.detail,
        }


def verify_token(
    text: str,
    trust: TrustStore,
    at: datetime,
    *,
    prefixes: Sequence[str] = (DEFAULT_PREFIX,),
    clock_skew: timedelta = timedelta(seconds=30),
    limits: Limits = DEFAULT_LIMITS,
) -> TokenReport:
    """Check a token layer by layer; never raises for bad input, the report carries the codes."""
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    try:
        prefix, cose_bytes = unwrap(text, prefixes, limits)
        message = parse_sign1(cose_bytes)
    except p.TokenProblem as e:
        return TokenReport(errors=(e.code,), detail=str(e))
    errors: list[str] = []
    details: list[str] = []
    alg = message.alg
    kid = message.kid or b""
    alg_name = ALGORITHM_NAMES.get(alg, str(alg) if alg is not None else "") if alg is not None else ""

    raw_claims: object = None
    try:
        raw_claims = cbor_loads(message.payload)
    except Exception as e:  # any CBOR decoding failure of the payload
        details.append(f"payload is not CBOR: {e}")
    if not isinstance(raw_claims, dict):
        errors.append(p.MALFORMED)
        details.append("claims are not a CBOR map")
        raw_claims = {}

    signature_valid = False
    key = trust.get(kid) if kid else None
    if alg not in ALGORITHM_NAMES:
        errors.append(p.UNSUPPORTED_ALGORITHM)
        details.append(f"algorithm {alg!r} is not supported")
    elif key is None:
        errors.append(p.UNKNOWN_KEY)
        details.append(f"no trusted key with kid {kid.hex() or '(none)'}")
    else:
        try:
            signature_valid = verify_signature(message, key.public_key)
        except UnsupportedAlgorithm as e:
            errors.append(p.UNSUPPORTED_ALGORITHM)
            details.append(str(e))
        else:
            if not signature_valid:
                errors.append(p.BAD_SIGNATURE)
        revoked = trust.revocation(kid)
        if revoked is not None:
            errors.append(p.KEY_REVOKED)
            details.append(f"key {kid.hex()} revoked: {revoked}")

    # Compared as numbers: date arithmetic near year 1 or 9999 would overflow on crafted claims.
    iat_s, exp_s = _seconds(raw_claims.get(IAT)), _seconds(raw_claims.get(EXP))
    iat, exp = _instant(iat_s), _instant(exp_s)
    now_s, skew_s = at.timestamp(), clock_skew.total_seconds()
    expired = exp_s is not None and now_s > exp_s + skew_s
    not_yet_valid = iat_s is not None and iat_s > now_s + skew_s
    if iat is None or exp is None:
        errors.append(p.MALFORMED)
        details.append("iat and exp are required")
    cti = raw_claims.get(CTI)
    if BHYT_CARD_CLAIM in raw_claims and not (isinstance(cti, bytes) and 8 <= len(cti) <= 64):
        errors.append(p.MALFORMED)
        details.append("a card token needs a token id (cti) of 8 to 64 bytes")
    if expired:
        errors.append(p.EXPIRED)
        details.append(f"expired at {exp:%Y-%m-%dT%H:%M:%SZ}" if exp else "expired")
    if not_yet_valid:
        errors.append(p.NOT_YET_VALID)
    if key is not None and iat is not None and not key.covers(iat):
        errors.append(p.OUTSIDE_KEY_VALIDITY)
        details.append(f"key {kid.hex()} was not valid at {iat:%Y-%m-%dT%H:%M:%SZ}")

    card = None
    if BHYT_CARD_CLAIM in raw_claims:
        try:
            card = CardClaims.from_cbor(raw_claims[BHYT_CARD_CLAIM])
        except p.TokenProblem as e:
            errors.append(e.code)
            details.append(str(e))
    issuer = raw_claims.get(ISS)
    return TokenReport(
        errors=_ordered(errors),
        prefix=prefix,
        kid=kid.hex(),
        alg=alg_name,
        signature_valid=signature_valid,
        expired=expired,
        not_yet_valid=not_yet_valid,
        issued_at=iat,
        expires_at=exp,
        token_id=cti.hex() if isinstance(cti, bytes) else "",
        issuer=issuer if isinstance(issuer, str) else "",
        claims=json_claims(raw_claims),
        card=card,
        detail="; ".join(details),
    )


def json_claims(claims: Mapping[Any, Any], budget: int = 2000) -> dict[str, Any]:
    """Claims for JSON output: well-known keys by name, bytes as hex, times as ISO text.

    At most `budget` values are converted: CBOR shared values (tags 28/29) let a tiny payload
    reference one array many times over, which a plain walk would expand exponentially."""
    remaining = [budget]
    return {CLAIM_NAMES.get(k) or _text(k): _jsonable(v, remaining) for k, v in claims.items()}


def _jsonable(value: object, remaining: list[int], depth: int = 0) -> Any:
    remaining[0] -= 1
    if depth > 32 or remaining[0] < 0:
        return "…"
    if isinstance(value, dict):
        return {_text(k): _jsonable(v, remaining, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, remaining, depth + 1) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, cbor2.CBORTag):
        return {"tag": value.tag, "value": _jsonable(value.value, remaining, depth + 1)}
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return _text(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _text(value)


def _text(value: object) -> str:
    """str() of a decoded CBOR value. Python refuses decimal text of an integer over 4300 digits (a
    CBOR bignum, or one inside a fraction), so big integers are shown in hex and the rest by type."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return hex(value)
    try:
        return str(value)
    except ValueError:
        return f"<{type(value).__name__}>"


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return seconds if math.isfinite(seconds) else None


def _instant(seconds: float | None) -> datetime | None:
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _is_birth_date(text: str) -> bool:
    """YYYY-MM-DD, or YYYY for a year-only birth date (what `IdentityClaim.parse` judges by year)."""
    try:
        parse_birth_date(text)
    except ValueError:
        return False
    return True


def _ordered(errors: list[str]) -> tuple[str, ...]:
    rank = {code: i for i, code in enumerate(p.SEVERITY_ORDER)}
    return tuple(sorted(dict.fromkeys(errors), key=lambda c: rank.get(c, len(rank))))
