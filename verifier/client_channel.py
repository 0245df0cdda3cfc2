"""How a client (the CLI, the local stack's probes, tests, benchmarks) connects to a verifier: mTLS
with the client CA, a client certificate and its key, or plaintext to a development server.

The files follow `infra/local/pki.py`'s layout: `ca.pem` and `<role>-<name>.pem` / `.key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

Options = Sequence[tuple[str, Any]]


@dataclass(frozen=True)
class ClientTls:
    ca: bytes
    certificate: bytes
    key: bytes

    @classmethod
    def from_files(cls, ca: Path, certificate: Path, key: Path) -> ClientTls:
        """ValueError naming the file that cannot be read."""
        values = []
        for path in (ca, certificate, key):
            try:
                values.append(Path(path).read_bytes())
            except OSError as e:
                raise ValueError(f"{path}: {e.strerror}") from e
        return cls(*values)

    @classmethod
    def from_pki(cls, directory: Path, stem: str) -> ClientTls:
        """The certificate `stem` (e.g. "kiosk-kiosk-1") of a local CA directory."""
        return cls.from_files(directory / "ca.pem", directory / f"{stem}.pem", directory / f"{stem}.key")

    def credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(self.ca, self.key, self.certificate)


def channel(target: str, tls: ClientTls | None, options: Options = ()) -> grpc.Channel:
    if tls is None:
        return grpc.insecure_channel(target, options=list(options))
    return grpc.secure_channel(target, tls.credentials(), options=list(options))


def aio_channel(target: str, tls: ClientTls | None, options: Options = ()) -> grpc.aio.Channel:
    if tls is None:
        return grpc.aio.insecure_channel(target, options=list(options))
    return grpc.aio.secure_channel(target, tls.credentials(), options=list(options))
