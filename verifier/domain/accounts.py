"""Accounts (who may call the HIS gateway or log in to the dashboard) and registered staff: the pure
rules. No clock, no randomness, no I/O: the service passes salts and times in.

Passwords: HIS systems send the MD5 hex string of the password (VSS's gateway contract), so that
string is what we hash, with scrypt (RFC 7914; memory-hard, so a stolen read model is slow to
crack) and a random salt, recorded as "scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>" (events.proto,
AccountAdded.password_hash). Verification compares in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from verifier.errors import BadRequest


class Role(StrEnum):
    HIS = "his"  # a hospital information system: the card-check gateway
    MONITORING = "monitoring"  # fraud-monitoring staff: the dashboard


@dataclass(frozen=True)
class AccountRecord:
    """An account as the accounts projection holds it."""

    username: str
    role: Role
    facility_id: str  # "" for a monitoring account without a facility
    password_hash: str
    disabled: bool = False


@dataclass(frozen=True)
class StaffRecord:
    """A staff member a facility registered for card checks (VSS 054/055 on the 2024 gateway)."""

    registry_id: str
    facility_id: str
    personal_id: str  # 12-digit CCCD number: only the gateway's lookup reads it whole
    full_name: str


# AddAccountRequest: "3-64 characters: letters, digits, . _ -"
_USERNAME = re.compile(r"[a-z0-9._-]{3,64}")
_MD5_HEX = re.compile(r"[0-9a-f]{32}")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
MAX_NAME_LENGTH = 100


def normalise_username(raw: str) -> str:
    """Usernames are case-insensitive (HIS configurations are typed by hand): lower case, checked."""
    name = (raw or "").strip().lower()
    if not _USERNAME.fullmatch(name):
        raise BadRequest(
            "username: 3-64 ký tự gồm chữ, số, dấu . _ - (3-64 characters: letters, digits, . _ -)"
        )
    return name


def parse_role(raw: str) -> Role:
    try:
        return Role((raw or "").strip().lower())
    except ValueError as e:
        raise BadRequest("role: phải là his hoặc monitoring (must be his or monitoring)") from e


def check_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise BadRequest(
            f"password: {MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} ký tự "
            f"({MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters)"
        )
    return password


def md5_hex(password: str) -> str:
    """What a HIS sends for `password`: the MD5 hex string of its UTF-8 bytes (not a protection,
    the contract; the slow hash below is the protection)."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()


def normalise_personal_id(raw: str) -> str:
    pid = (raw or "").strip()
    if len(pid) != 12 or not (pid.isascii() and pid.isdigit()):
        raise BadRequest("personal_id: số CCCD có 12 chữ số (a CCCD number has 12 digits)")
    return pid


def check_full_name(raw: str) -> str:
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BadRequest(
            f"full_name: bắt buộc, tối đa {MAX_NAME_LENGTH} ký tự (required, at most {MAX_NAME_LENGTH})"
        )
    return name


def mask_personal_id(pid: str) -> str:
    """Lists never show a whole CCCD number: "040012345234" -> "0400*****234"."""
    if len(pid) < 8:
        return "*" * len(pid)
    return f"{pid[:4]}{'*' * (len(pid) - 7)}{pid[-3:]}"


@dataclass(frozen=True)
class ScryptParameters:
    """n=2^14, r=8 costs ~16 MiB and ~60 ms here: slow for an attacker, fine once per login (tokens
    last an hour). Recorded in each hash, so raising them later leaves older hashes verifiable."""

    n: int = 1 << 14
    r: int = 8
    p: int = 1
    length: int = 32


def hash_password(
    password_md5: str, *, salt: bytes, parameters: ScryptParameters = ScryptParameters()
) -> str:
    """The slow salted hash of the MD5 hex string a client sends (lower-cased first: hex is hex)."""
    n, r, p = parameters.n, parameters.r, parameters.p
    digest = _scrypt(password_md5.lower(), salt, n, r, p, parameters.length)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password_md5: str, encoded: str) -> bool:
    """True when `password_md5` is what `encoded` was made from; the comparison is constant-time.
    A malformed stored hash (or a client string that is not MD5 hex) verifies nothing."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(expected, validate=True)
        got = _scrypt(
            password_md5.lower(), base64.b64decode(salt, validate=True), int(n), int(r), int(p), len(want)
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, want) and bool(_MD5_HEX.fullmatch(password_md5.lower()))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    # maxmem: scrypt needs 128*r*n bytes (16 MiB by default); allow twice that, refuse absurd costs.
    return hashlib.scrypt(
        secret.encode(), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * r * n + (1 << 20)
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
