"""What a target is and what a run records: crashes, tallies, the documented-error check, and the
stored samples every run starts from."""

from __future__ import annotations

import json
import os
import traceback
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "fuzz"
SAMPLES_PER_SIGNATURE = 3  # reproducers kept per distinct crash (kind and place)
ACCEPTED = "accepted"


# --- what a run records -------------------------------------------------------------------------


class Unexpected(AssertionError):
    """A property of a verdict was broken, or a documented error carried an undocumented code."""


class Hang(BaseException):
    """Raised by SIGALRM in an input stuck for KILL_SECONDS; a BaseException so `except Exception`
    in a parser cannot swallow it."""


@dataclass(frozen=True)
class Crash:
    target: str
    kind: str  # exception type, "unraisable <type>", "hang" or "slow"
    where: str  # the innermost frame in the project, or the property that broke
    message: str
    trace: str
    value: Any

    @property
    def signature(self) -> tuple[str, str, str]:
        return (self.target, self.kind, self.where)

    @classmethod
    def of(cls, target: str, error: BaseException, value: Any) -> Crash:
        frames = traceback.extract_tb(error.__traceback__)
        ours = [f for f in frames if f.filename.startswith(str(ROOT / "verifier"))]
        frame = (ours or frames)[-1] if frames else None
        where = f"{Path(frame.filename).name}:{frame.lineno}" if frame is not None else "?"
        if isinstance(error, Unexpected):
            where = str(error).split(":", 1)[0][:80]
        kind = "hang" if isinstance(error, Hang) else type(error).__name__
        trace = "".join(traceback.format_exception(error))
        return cls(target, kind, where, str(error)[:500], trace, value)


@dataclass
class Tally:
    """What one target did: inputs, outcomes by code, crashes (a few reproducers per distinct one)."""

    target: str
    inputs: int = 0
    accepted: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    crashes: int = 0
    samples: list[Crash] = field(default_factory=list)
    slowest_s: float = 0.0
    busy_s: float = 0.0  # CPU time inside the parsers (generation excluded)

    def record(self, outcome: str) -> None:
        if outcome == ACCEPTED:
            self.accepted += 1
        else:
            self.errors[outcome] += 1

    def crashed(self, crash: Crash) -> None:
        self.crashes += 1
        if sum(c.signature == crash.signature for c in self.samples) < SAMPLES_PER_SIGNATURE:
            self.samples.append(crash)

    def merge(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.accepted += other.accepted
        self.errors.update(other.errors)
        self.slowest_s = max(self.slowest_s, other.slowest_s)
        self.busy_s += other.busy_s
        crashes = self.crashes + other.crashes
        for crash in other.samples:
            self.crashed(crash)
        self.crashes = crashes


@dataclass(frozen=True)
class Target:
    """One parser entry point, the inputs that drive it, and how its answer is judged.

    `run` returns ACCEPTED or the code of the documented error; anything it raises is a crash.
    `raw` turns fuzzer bytes into an input for the atheris engine (None: structured input only).
    """

    name: str
    entry: str
    inputs: Callable[[], st.SearchStrategy[Any]]
    run: Callable[[Any], str]
    raw: Callable[[bytes], Any] | None = None


def known(code: str, table: Mapping[str, str] | frozenset[str]) -> str:
    if code not in table:
        raise Unexpected(f"undocumented error code: {code!r}")
    return code


def to_text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def to_utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


# --- the samples every run starts from ---------------------------------------------------------

WORLD = ARTIFACTS / "world"


def stored(name: str, build: Callable[[], Mapping[str, Any]]) -> Any:
    """The sample set `name` as first built on this machine (`test-artifacts/fuzz/world/NAME.json`).

    Keys and signatures are random, so samples built afresh would differ from those an input was
    generated from: a reproducer would not reproduce and a seed would not repeat its run. The first
    build is kept (first writer wins, atomically) and every later run, worker and replay reads it.
    """
    path = WORLD / f"{name}.json"
    if not path.exists():
        WORLD.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{name}.{os.getpid()}.tmp")
        draft.write_text(json.dumps(encode(build())))
        with suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return decode(json.loads(path.read_text()))


# --- the JSON form of an input (samples and reproducers) ----------------------------------------


def encode(value: Any) -> Any:
    """A JSON form of an input that `decode` turns back into the same value."""
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    if isinstance(value, str):
        return {"text": value.encode("utf-8", "surrogatepass").hex()}
    if isinstance(value, Mapping):
        return {"map": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        return {"list": [encode(v) for v in value]}
    return {"json": value}


def decode(form: Mapping[str, Any]) -> Any:
    if "hex" in form:
        return bytes.fromhex(form["hex"])
    if "text" in form:
        return bytes.fromhex(form["text"]).decode("utf-8", "surrogatepass")
    if "map" in form:
        return {decode(k): decode(v) for k, v in form["map"]}
    if "list" in form:
        return [decode(v) for v in form["list"]]
    return form["json"]
