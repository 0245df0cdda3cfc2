"""The live CSCA trust store: configured files and directories, re-read on `reload()` without restart.

Reading is the only I/O in the chip package, kept here at its edge. A reload builds a complete new
`TrustAnchors` snapshot (pure, `trust.build_trust_anchors`) and swaps it in under a lock; a
verification holds the snapshot it started with and never sees a half-built store. Unreadable
files become `problems` (C19) like malformed ones. Reloading parses every certificate and
verifies master-list signatures: run it off the event loop.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.chip.codes import TRUST_SOURCE_MALFORMED
from verifier.chip.crl import parse_crl
from verifier.chip.errors import ChipError
from verifier.chip.trust import Source, TrustAnchors, TrustProblem, build_trust_anchors


@dataclass(frozen=True)
class TrustSources:
    """Where the trust store is read from. Directories are scanned (not recursively) and each file
    sorted by content: a CRL, a master list (CMS with id-icao-cscaMasterList), or certificates."""

    certificates: tuple[Path, ...] = ()
    master_lists: tuple[Path, ...] = ()
    crls: tuple[Path, ...] = ()
    directories: tuple[Path, ...] = ()


def load_trust_anchors(sources: TrustSources) -> TrustAnchors:
    """Read every configured file and build a snapshot; unreadable files become problems (C19)."""
    problems: list[TrustProblem] = []
    certs: list[Source] = []
    lists: list[Source] = []
    crls: list[Source] = []

    def read(path: Path, into: list[Source]) -> None:
        try:
            into.append((str(path), path.read_bytes()))
        except OSError as e:
            problems.append(
                TrustProblem(str(path), TRUST_SOURCE_MALFORMED, f"cannot read: {e.strerror or e}")
            )

    for path in sources.certificates:
        read(path, certs)
    for path in sources.master_lists:
        read(path, lists)
    for path in sources.crls:
        read(path, crls)
    for directory in sources.directories:
        try:
            files = sorted(p for p in directory.iterdir() if p.is_file())
        except OSError as e:
            problems.append(
                TrustProblem(str(directory), TRUST_SOURCE_MALFORMED, f"cannot list: {e.strerror or e}")
            )
            continue
        for path in files:
            found: list[Source] = []
            read(path, found)
            for label, data in found:
                {"crl": crls, "master_list": lists, "certificates": certs}[sniff(data)].append((label, data))
    built = build_trust_anchors(certificates=certs, master_lists=lists, crls=crls)
    return TrustAnchors(built.cscas, built.crls, (*problems, *built.problems))


def sniff(data: bytes) -> str:
    """'crl', 'master_list' or 'certificates', from the content (file names lie)."""
    if b"-----BEGIN X509 CRL-----" in data:
        return "crl"
    if b"-----BEGIN" in data:
        return "certificates"
    if b"\x06\x06\x67\x81\x08\x01\x01\x02" in data[:256]:  # eContentType 2.23.136.1.1.2, near the start
        return "master_list"
    try:
        parse_crl(data)
        return "crl"
    except ChipError:
        return "certificates"


class CscaTrustStore:
    """The live trust store: a snapshot rebuilt from `sources` on `reload()`, swapped atomically."""

    def __init__(self, sources: TrustSources, *, anchors: TrustAnchors | None = None) -> None:
        self._sources = sources
        self._lock = threading.Lock()
        self._reload_lock = threading.Lock()  # one rebuild at a time: a slow old one never wins
        self._anchors = anchors if anchors is not None else load_trust_anchors(sources)

    @classmethod
    def of(cls, anchors: TrustAnchors) -> CscaTrustStore:
        """A store around a prepared snapshot (tests, or sources held elsewhere)."""
        return cls(TrustSources(), anchors=anchors)

    @property
    def sources(self) -> TrustSources:
        return self._sources

    @property
    def anchors(self) -> TrustAnchors:
        with self._lock:
            return self._anchors

    def reload(self) -> TrustAnchors:
        """Re-read every source and publish the new snapshot; readers keep the old one meanwhile."""
        with self._reload_lock:
            fresh = load_trust_anchors(self._sources)
            with self._lock:
                self._anchors = fresh
        return fresh

    def status(self) -> dict[str, Any]:
        anchors = self.anchors
        return {
            "cscas": len(anchors.cscas),
            "crls": len(anchors.crls),
            "problems": [p.to_dict() for p in anchors.problems],
        }
