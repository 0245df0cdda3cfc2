"""Bounded, thread-safe memos for results that depend only on immutable bytes (issue 6).

Millions of chip reads are signed by a few hundred Document Signer certificates, so the same DS
bytes are parsed, normalised and chained to the same CSCA over and over. A `BoundedMemo` keeps the
result of such a pure computation under a key that identifies its inputs completely (the DER, or
its SHA-256), so a hit can never be a different answer than recomputing would give.

Rules every memo here follows, and why:
- Keys are content (bytes, digests), never `id()`: a recycled id would alias two certificates.
- Nothing that depends on the verification time or on the trust store goes in a global memo. What
  depends on the trust store lives in a memo owned by that `TrustAnchors` snapshot, so a reload
  (a new snapshot) starts empty and the old one dies with its snapshot.
- Exceptions are never memoised: malformed input is re-examined, and fails the same way, each time.
- `verify_chip` runs in a thread pool: one lock guards the dict; `compute` runs outside it, so a
  slow miss never blocks hits. Two threads missing the same key both compute (equal) results and
  the first stored wins, which is harmless because the computation is pure.
- Bounded LRU: memory stays capped however many distinct (or hostile) certificates arrive; a flood
  of new ones costs speed, never correctness.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar, cast

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")

_ALL: list[BoundedMemo[object, object]] = []
_ALL_LOCK = threading.Lock()


class BoundedMemo(Generic[K, V]):
    """A least-recently-used map of at most `maxsize` entries, safe under concurrent use."""

    def __init__(self, maxsize: int, *, register: bool = False) -> None:
        if maxsize < 1:
            raise ValueError("a memo holds at least one entry")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        if register:  # global memos, so tests and operators can empty them all at once
            with _ALL_LOCK:
                _ALL.append(cast("BoundedMemo[object, object]", self))

    def get_or_compute(self, key: K, compute: Callable[[], V]) -> V:
        """The stored value for `key`, or `compute()` stored under it (unless it raises)."""
        with self._lock:
            try:
                value = self._data[key]
            except KeyError:
                self.misses += 1
            else:
                self._data.move_to_end(key)
                self.hits += 1
                return value
        value = compute()
        with self._lock:
            kept = self._data.setdefault(key, value)  # another thread may have stored it meanwhile
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)
        return kept

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._data

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


class SnapshotMemo:
    """A memo of mixed values owned by one trust snapshot; callers namespace keys by a tag."""

    def __init__(self, maxsize: int) -> None:
        self._memo: BoundedMemo[Hashable, object] = BoundedMemo(maxsize)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        # The key's tag names what was computed, so the stored value is the type `compute` returns.
        return cast(T, self._memo.get_or_compute(key, compute))

    def __contains__(self, key: object) -> bool:
        return key in self._memo

    def __len__(self) -> int:
        return len(self._memo)


def clear_memos() -> None:
    """Empty every global memo (tests; never needed for correctness, as keys are content)."""
    with _ALL_LOCK:
        memos = list(_ALL)
    for memo in memos:
        memo.clear()
