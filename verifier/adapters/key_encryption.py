"""Key-encryption keys kept in a file: the default behind the `KeyEncryptionKeys` port.

One key per line, `<id> <base64 of 32 bytes>`, oldest first; the last line is the current one,
under which new data keys are wrapped. Rotation adds a line (`python -m verifier kek add`) and then
re-wraps every data key under it (`python -m verifier kek rewrap`): the events are not touched,
only the small key records on the compacted key topic. An old line can be removed once nothing is
wrapped under it any more (`kek status` says).

Wrapping is AES key wrap (RFC 3394, `cryptography`'s `aes_key_wrap`): the standard construction
for wrapping keys, which every KMS and HSM also offers.
"""

from __future__ import annotations

import base64
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from verifier.ports import KeyEncryptionKeys, UnknownKeyEncryptionKey
from verifier.settings import DEFAULT_KEK_FILE

log = logging.getLogger(__name__)
KEK_BYTES = 32


class KeyFileError(ValueError):
    """The key file is unreadable or malformed: said with its path and line, never guessed around."""


class FileKeyEncryptionKeys(KeyEncryptionKeys):
    def __init__(self, keys: dict[str, bytes], current_id: str) -> None:
        if current_id not in keys:
            raise KeyFileError(f"no key-encryption key {current_id!r}")
        self._keys = dict(keys)
        self._current = current_id

    @classmethod
    def load(cls, path: Path, *, create: bool | None = None) -> FileKeyEncryptionKeys:
        """The keys in `path`; when it does not exist and `create`, a new file with one new key.
        By default only the development default path is created: a process told where the file is
        (`BHYT_KEK_FILE`, a mounted secret in production) and not finding it stops, rather than
        wrap keys under a key-encryption key no other host holds."""
        if create is None:
            create = path == DEFAULT_KEK_FILE
        if not path.exists():
            if not create:
                raise KeyFileError(
                    f"{path}: no key-encryption key file (BHYT_KEK_FILE); create one with "
                    "`python -m verifier kek add` and give every host the same"
                )
            try:
                _write_key(path, os.O_EXCL)  # two processes starting at once: one file, one key
            except FileExistsError:
                pass
            else:
                log.warning(
                    "created a new key-encryption key file %s: keep it safe, the same on every host", path
                )
        keys: dict[str, bytes] = {}
        current = ""
        for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            try:
                kek_id, encoded = line.split()
                key = base64.b64decode(encoded, validate=True)
            except ValueError as e:
                raise KeyFileError(f"{path}:{number}: expected '<id> <base64 key>'") from e
            if len(key) != KEK_BYTES:
                raise KeyFileError(
                    f"{path}:{number}: a key-encryption key is {KEK_BYTES} bytes, not {len(key)}"
                )
            keys[kek_id] = key
            current = kek_id
        if not keys:
            raise KeyFileError(f"{path}: no key-encryption key in it")
        return cls(keys, current)

    @property
    def current_id(self) -> str:
        return self._current

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def wrap(self, data_key: bytes) -> tuple[str, bytes]:
        return self._current, aes_key_wrap(self._keys[self._current], data_key)

    def unwrap(self, kek_id: str, wrapped: bytes) -> bytes:
        key = self._keys.get(kek_id)
        if key is None:
            raise UnknownKeyEncryptionKey(
                f"data key wrapped by key-encryption key {kek_id!r}, not in the key file"
            )
        try:
            return aes_key_unwrap(key, wrapped)
        except InvalidUnwrap as e:
            raise UnknownKeyEncryptionKey(
                f"key-encryption key {kek_id!r} does not unwrap this data key"
            ) from e


def add_key(path: Path) -> str:
    """Append a new key-encryption key to `path` (created 0600 with its directory); return its id.
    It becomes the current one: data keys wrapped from now on use it."""
    return _write_key(path, os.O_APPEND)


def _write_key(path: Path, mode: int) -> str:
    kek_id = f"kek-{datetime.now(UTC):%Y%m%d%H%M%S}-{secrets.token_hex(2)}"
    line = f"{kek_id} {base64.b64encode(secrets.token_bytes(KEK_BYTES)).decode()}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | mode, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as f:
        f.write(line)
    return kek_id
