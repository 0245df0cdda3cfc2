"""One running stack for integration tests: a verifier process, maybe a Faust worker, and a client.

    @pytest.fixture(scope="module")
    def stack(stacks: StackFactory) -> Iterator[Stack]:
        settings = stacks.settings("mon", topic_partitions=2)
        with Stack.running(settings, stacks.log_dir(), worker=True) as stack:
            yield stack

`StackFactory` (the session fixture `stacks` in tests/conftest.py) makes what a module's stack
needs: isolated settings on the session's Kafka and Redis (or another Redis, by `redis_url`), a
log directory, a token-keys directory, a CSCA trust directory. `Stack.running` starts the verifier
process, waits for its health check, starts worker "w1" if asked (waiting for its partitions),
opens a client (plaintext, or mTLS with `client_tls`), and on exit closes the client, stops the
workers and then the verifier. A module with helpers of its own subclasses `Stack`; a subclass's
extra fields are given to `running` as keywords.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, Self

import pytest
from bhyt.v1 import api_pb2_grpc as api_grpc

from infra.local.procs import wait_until
from infra.local.signing_keys import write_signing_key
from tests.support.chip_fixtures import make_chip, pem
from tests.support.client import Client
from tests.support.isolation import isolated_settings
from tests.support.processes import ServiceProcess, start_worker, verifier_process
from verifier.client_channel import ClientTls
from verifier.settings import Settings

WORKER_ID = "w1"


@dataclass(kw_only=True)
class Stack:
    settings: Settings
    log_dir: Path
    verifier: ServiceProcess
    client: Client
    workers: list[ServiceProcess] = field(default_factory=list)  # every one is stopped at the end

    @classmethod
    @contextmanager
    def running(
        cls,
        settings: Settings,
        log_dir: Path,
        *,
        worker: bool = False,
        client_tls: ClientTls | None = None,
        **fields: Any,
    ) -> Iterator[Self]:
        with verifier_process(settings, log_dir) as verifier:
            workers = [start_worker(settings, WORKER_ID, log_dir)] if worker else []
            client = Client(settings.grpc_listen, client_tls)
            try:
                yield cls(
                    settings=settings,
                    log_dir=log_dir,
                    verifier=verifier,
                    client=client,
                    workers=workers,  # the same list: a worker assigned later is stopped too
                    **fields,
                )
            finally:
                client.close()
                for started in workers:
                    started.stop()

    @property
    def worker(self) -> ServiceProcess:
        """The worker started last; assigning one (a replacement) adds it to those stopped at the end."""
        if not self.workers:
            raise RuntimeError("this stack runs no Faust worker (Stack.running(..., worker=True))")
        return self.workers[-1]

    @worker.setter
    def worker(self, process: ServiceProcess) -> None:
        self.workers.append(process)

    @cached_property
    def monitoring(self) -> api_grpc.MonitoringStub:
        return api_grpc.MonitoringStub(self.client.channel)

    def enrolled(self, card_number: str, **fields: str) -> str:
        """Enroll over gRPC and wait until the projection shows the card; returns the card number."""
        self.client.enroll(card_number, **fields)
        wait_until(lambda: self.client.status(card_number).found, timeout=30, what="enrollment projected")
        return card_number


@dataclass(frozen=True)
class StackFactory:
    """What a module's stack is made of, on the session's Kafka and Redis."""

    kafka_bootstrap: str
    redis_url: str
    tmp_path_factory: pytest.TempPathFactory

    def settings(self, prefix: str, *, redis_url: str = "", **overrides: Any) -> Settings:
        """`isolated_settings`: own topics (created) and consumer group, Redis flushed, a free port."""
        return isolated_settings(
            self.kafka_bootstrap, redis_url or self.redis_url, prefix=prefix, **overrides
        )

    def directory(self, name: str) -> Path:
        return self.tmp_path_factory.mktemp(name)

    def log_dir(self) -> Path:
        return self.directory("logs")

    def token_keys(self, name: str) -> Path:
        """A token-keys directory holding one signing key `name`, valid since yesterday."""
        keys_dir = self.directory("token-keys")
        write_signing_key(keys_dir, name, not_before=datetime.now(UTC) - timedelta(days=1))
        return keys_dir

    def chip_trust(self) -> Path:
        """A chip trust directory holding the CSCA of the default test chip (`make_chip()`)."""
        trust_dir = self.directory("csca")
        (trust_dir / "csca-vn.pem").write_bytes(pem(make_chip().csca.cert))
        return trust_dir
