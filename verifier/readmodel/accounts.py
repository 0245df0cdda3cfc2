"""The accounts projection's Redis schema: written by `projections/accounts`, read by
`verifier/adapters/accounts.py`, so both import this one module.

Keys (all under "ac:", the projection's pattern; a rebuild drops and replays them; all with the
hash tag {a}, so in one Redis Cluster slot: the gateway follows a token to its account and a
facility's CCCD index to a staff record in one script, and accounts are few):
  ac:{a}:u:<username>    hash  role, fac (facility), ph (password hash), dis ("1" disabled), dr (reason),
                           @<partition>: last applied offset (the projection's idempotence guard)
  ac:{a}:all             hash  <username> -> "1" for every username ever added (for `account list`)
  ac:{a}:f:<facility>    hash  c:<CCCD> -> registry id of the staff member registered under it there,
                           @<partition>: last applied offset
  ac:{a}:s:<registry id> hash  fac, pid (CCCD), name
  ac:{a}:facs            hash  <facility> -> "1" for facilities that ever registered staff (`staff list`)
(hashes: `projections.rebuild.digest` compares hashes, lists, sets, sorted sets and strings)

Login tokens and failure counters are not here: they are no projection (nothing on the log makes
them), and a rebuild must not drop them (`verifier/adapters/accounts.py`, keys "auth:").
"""

from __future__ import annotations

from collections.abc import Mapping

from verifier.domain.accounts import AccountRecord, Role, StaffRecord

PATTERNS = ("ac:*",)
TAG = "{a}"  # the hash tag of every accounts and login key (verifier/adapters/accounts.py)
ACCOUNTS_KEY = f"ac:{TAG}:all"
FACILITIES_KEY = f"ac:{TAG}:facs"
ACCOUNT_PREFIX = f"ac:{TAG}:u:"
STAFF_RECORD_PREFIX = f"ac:{TAG}:s:"
PERSONAL_ID_FIELD_PREFIX = "c:"


def account_key(username: str) -> str:
    return f"{ACCOUNT_PREFIX}{username}"


def staff_facility_key(facility_id: str) -> str:
    return f"ac:{TAG}:f:{facility_id}"


def staff_key(registry_id: str) -> str:
    return f"{STAFF_RECORD_PREFIX}{registry_id}"


def personal_id_field(personal_id: str) -> str:
    return f"{PERSONAL_ID_FIELD_PREFIX}{personal_id}"


def account_from(username: str, fields: Mapping[str, str]) -> AccountRecord | None:
    """None for no record, or one that holds only a disabling (an AccountDisabled never added)."""
    role = fields.get("role")
    if not role:
        return None
    return AccountRecord(
        username=username,
        role=Role(role),
        facility_id=fields.get("fac", ""),
        password_hash=fields.get("ph", ""),
        disabled=fields.get("dis") == "1",
    )


def staff_from(registry_id: str, fields: Mapping[str, str]) -> StaffRecord | None:
    if not fields.get("pid"):
        return None
    return StaffRecord(registry_id, fields.get("fac", ""), fields["pid"], fields.get("name", ""))


def registry_ids(facility_fields: Mapping[str, str]) -> list[str]:
    """The registry ids a facility's hash names (its guard fields left out)."""
    return [v for k, v in facility_fields.items() if k.startswith(PERSONAL_ID_FIELD_PREFIX)]
