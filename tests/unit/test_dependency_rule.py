"""The rule of the arrows, checked by walking every import (also those inside functions):

entrypoints -> service -> domain / events / readmodel <- adapters; projections use only the domain,
the event contract, the read-model schema and the settings; nothing points back up. A forbidden
import fails this test with the file, the line and the rule it breaks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

INFRASTRUCTURE = ("grpc", "grpc_health", "grpc_reflection", "kafka", "aiokafka", "redis", "faust", "aiohttp")
PROTOBUF = ("bhyt", "google.protobuf")
OUTER_VERIFIER = (
    "verifier.adapters",
    "verifier.entrypoints",
    "verifier.bootstrap",
    "verifier.cli",
    "verifier.dashboard",
    "verifier.processes",
    "verifier.imports",
)


@dataclass(frozen=True)
class Rule:
    """Modules under `package` may not import anything under a prefix of `forbidden`, except under
    a prefix of `allowed` (which narrows a forbidden prefix)."""

    package: str
    forbidden: tuple[str, ...]
    why: str
    allowed: tuple[str, ...] = ()


RULES = (
    Rule(
        "verifier.domain",
        (
            *INFRASTRUCTURE,
            *PROTOBUF,
            *OUTER_VERIFIER,
            "verifier.service",
            "verifier.events",
            "verifier.readmodel",
            "verifier.ports",
            "projections",
        ),
        "the domain is pure: no infrastructure, no wire formats, nothing above it",
    ),
    Rule(
        "verifier.tokens",
        (*INFRASTRUCTURE, *PROTOBUF, *OUTER_VERIFIER, "verifier.service", "verifier.events", "projections"),
        "token verification is pure core",
    ),
    Rule(
        "verifier.chip",
        (*INFRASTRUCTURE, *PROTOBUF, *OUTER_VERIFIER, "verifier.service", "verifier.events", "projections"),
        "ICAO 9303 verification is pure core",
    ),
    Rule(
        "verifier.events",
        (
            *INFRASTRUCTURE,
            *OUTER_VERIFIER,
            "verifier.service",
            "verifier.readmodel",
            "verifier.ports",
            "projections",
        ),
        "the event contract is a leaf: the domain and the protobuf bindings only",
    ),
    Rule(
        "verifier.readmodel",
        (
            *INFRASTRUCTURE,
            *OUTER_VERIFIER,
            "verifier.service",
            "verifier.events",
            "verifier.ports",
            "projections",
        ),
        "the read-model schema is a leaf: keys and codecs, no client",
    ),
    Rule(
        "verifier.service",
        (*INFRASTRUCTURE, *OUTER_VERIFIER, "projections"),
        "use cases depend on ports, never on adapters or entry points",
    ),
    Rule(
        "verifier.entrypoints.his",
        (
            *(name for name in INFRASTRUCTURE if name != "aiohttp"),
            *PROTOBUF,
            "verifier.adapters",
            "verifier.bootstrap",
            "verifier.entrypoints.grpc",
            "verifier.dashboard",
            "projections",
        ),
        "the HIS gateway is a thin HTTP entry point: aiohttp and the service, no adapter, no gRPC",
    ),
    Rule(
        "verifier",
        ("projections",),
        "nothing in verifier/ imports projections/ (an arrow pointing up)",
    ),
    Rule(
        "projections",
        ("verifier",),
        "projections use only the domain, the event contract, the read-model schema and settings",
        allowed=(
            "verifier.domain",
            "verifier.events",
            "verifier.readmodel",
            "verifier.settings",
            "verifier.monitor_rules",
            "verifier.logs",  # the log line format, stdlib only: one format for both processes
            # The one Redis client factory and script caller: one Redis or a Redis Cluster is the
            # same setting for the verifier and the workers.
            "verifier.adapters.redis_client",
            # The one reader of the per-person data keys and its key-encryption keys: the workers
            # open sealed personal fields with exactly what the writers sealed them with.
            "verifier.adapters.data_keys",
            "verifier.adapters.key_encryption",
        ),
    ),
)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from verifier import service` imports verifier.service
                yield node.lineno, f"{base}.{alias.name}"


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(root: Path) -> list[str]:
    """Every import under `root` (holding verifier/ and projections/) that breaks a rule."""
    found = []
    for top in ("verifier", "projections"):
        for path in sorted((root / top).rglob("*.py")):
            module = _module_name(path, root)
            for rule in RULES:
                if not _under(module, rule.package):
                    continue
                for line, imported in _imports(path, module):
                    bad = any(_under(imported, f) for f in rule.forbidden)
                    if bad and not any(_under(imported, a) for a in rule.allowed):
                        found.append(f"{path.relative_to(root)}:{line}: imports {imported}: {rule.why}")
    return sorted(set(found))


def test_every_import_follows_the_rule_of_the_arrows() -> None:
    assert violations(ROOT) == []


def test_the_rule_fails_on_a_forbidden_import(tmp_path: Path) -> None:
    """A test of the test: a domain module importing Redis, a projection importing an adapter,
    a verifier module importing a projection, each written as a Python author might."""
    (tmp_path / "verifier" / "domain").mkdir(parents=True)
    (tmp_path / "verifier" / "service").mkdir(parents=True)
    (tmp_path / "projections").mkdir()
    (tmp_path / "verifier" / "domain" / "rules.py").write_text("import redis.asyncio as aioredis\n")
    (tmp_path / "verifier" / "service" / "flows.py").write_text(
        "def f():\n    from verifier import adapters\n    from ..adapters.kafka_log import KafkaEventLog\n"
    )
    (tmp_path / "verifier" / "bootstrap.py").write_text("from projections.monitor import worker\n")
    (tmp_path / "projections" / "model.py").write_text(
        "from verifier.domain.card_number import CardNumber\nfrom verifier.adapters.read_model import x\n"
    )
    found = violations(tmp_path)
    assert sorted({f.split(": imports ")[0] for f in found}) == [
        "projections/model.py:2",
        "verifier/bootstrap.py:1",
        "verifier/domain/rules.py:1",
        "verifier/service/flows.py:2",
        "verifier/service/flows.py:3",
    ]
    assert any("domain/rules.py:1: imports redis.asyncio: the domain is pure" in f for f in found)
