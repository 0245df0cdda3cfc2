"""Generate the Python bindings of `proto/bhyt/v1/*.proto` next to the sources.

One script, so generated code is never hand-edited: `python proto/generate.py` rewrites it,
`python proto/generate.py --check` exits 1 when the committed bindings are stale (a test runs it).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

PROTO_ROOT = Path(__file__).resolve().parent
PACKAGE_DIR = PROTO_ROOT / "bhyt" / "v1"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def generate(out_root: Path) -> list[Path]:
    """Run protoc on every .proto; return the generated files, relative to `out_root`."""
    sources = sorted(str(p.relative_to(PROTO_ROOT)) for p in PACKAGE_DIR.glob("*.proto"))
    include_dir = Path(protoc.__file__).parent / "_proto"  # google/protobuf/*.proto
    code = protoc.main(
        [
            "protoc",
            f"-I{PROTO_ROOT}",
            f"-I{include_dir}",
            f"--python_out={out_root}",
            f"--pyi_out={out_root}",
            f"--grpc_python_out={out_root}",
            *sources,
        ]
    )
    if code != 0:
        raise SystemExit(f"protoc failed with exit code {code}")
    return sorted(p.relative_to(out_root) for p in out_root.rglob("*") if p.name.endswith(GENERATED_SUFFIXES))


def stale_files() -> list[str]:
    """Names of committed bindings that differ from a fresh generation (or are missing/extra)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        committed = {
            p.relative_to(PROTO_ROOT) for p in PACKAGE_DIR.iterdir() if p.name.endswith(GENERATED_SUFFIXES)
        }
        stale = [
            str(p)
            for p in fresh
            if not (PROTO_ROOT / p).exists() or not filecmp.cmp(Path(tmp) / p, PROTO_ROOT / p, shallow=False)
        ]
        stale += [str(p) for p in committed - set(fresh)]
    return sorted(stale)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only report stale bindings; exit 1 if any")
    args = parser.parse_args()
    if args.check:
        stale = stale_files()
        if stale:
            print("stale generated code, run `python proto/generate.py`:", *stale, sep="\n  ")
            sys.exit(1)
        print("generated code is up to date")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for rel in generate(Path(tmp)):
            shutil.copyfile(Path(tmp) / rel, PROTO_ROOT / rel)
            print(f"wrote proto/{rel}")


if __name__ == "__main__":
    main()
