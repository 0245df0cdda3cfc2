"""`python -m projections COMMAND`.

  worker -l info              a Faust worker (all of Faust's worker options apply)
  rebuild [--projection NAME] drop a projection and rebuild it from offset zero (workers stopped)
  digest  [--projection NAME] SHA-256 of a projection's Redis state, to compare two states

Faust's CLI starts its web server on port 6066 unless told otherwise, which collides as soon as
two workers share a machine; our workers serve no web pages, so `--without-web` is the default
here (pass `--with-web` to get it back). Workers run on uvloop (see BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import json
import sys

from projections.registry import NAMES
from verifier.settings import Settings


def _own_command(argv: list[str]) -> int:
    from projections.rebuild import WorkersRunning, digest, rebuild
    from verifier.adapters.redis_client import SlotsMoving

    parser = argparse.ArgumentParser(prog="python -m projections", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("command", choices=["rebuild", "digest"])
    parser.add_argument("--projection", choices=[*NAMES, "all"], default="all")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    names = list(NAMES) if args.projection == "all" else [args.projection]
    try:
        if args.command == "digest":
            value, keys = digest(settings, names)
            print(json.dumps({"projections": names, "sha256": value, "keys": keys}))
            return 0
        for name in names:
            report = rebuild(settings, name, progress=not args.no_progress)
            print(
                json.dumps({"projection": name, "events": report.events, "seconds": round(report.seconds, 2),
                            "events_per_second": round(report.events_per_second)})
            )  # fmt: skip
    except (WorkersRunning, SlotsMoving) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in {"rebuild", "digest"}:
        sys.exit(_own_command(sys.argv[1:]))
    from projections.app import create_app
    from verifier.monitor_rules import RulesFileError

    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        if not any("-web" in a for a in sys.argv):
            sys.argv.append("--without-web")
        # uvloop: Faust's per-message overhead bounds a worker's rate; uvloop raises it ~40% here.
        sys.argv[1:1] = ["--loop", "uvloop"]
    try:
        app = create_app(Settings.from_env())
    except RulesFileError as e:  # a worker must not start with rules it cannot read
        print(f"error: BHYT_RULES_FILE: {e}", file=sys.stderr)
        sys.exit(3)
    app.main()


main()
