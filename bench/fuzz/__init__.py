"""Hostile input to every parser of the pure core (`python -m bench.fuzz`; what a crash is: `__main__`).

Modules: `harness` (targets, crashes, tallies, stored samples), `mutations` and `der` (shared
generators), one module per family of targets (`tokens`, `cards`, `chip`, `trust`, `chip_verify`),
`runner` (the registry and the runs), `reporting`, `atheris_engine` and the command in `__main__`.
"""

from bench.fuzz.chip import chip_world
from bench.fuzz.chip_verify import run_chip
from bench.fuzz.der import der_nodes, replace_node
from bench.fuzz.harness import ACCEPTED, Crash, Tally, Target, Unexpected, decode, encode
from bench.fuzz.runner import TARGETS, execute, fuzz, run_chunk, run_target
from bench.fuzz.tokens import TOKEN_CHECKED, TOKEN_ISSUED, TOKEN_PREFIX, run_token, token_world
from tests.support.chip_fixtures import NOW as CHIP_NOW

__all__ = [
    "ACCEPTED",
    "CHIP_NOW",
    "TARGETS",
    "TOKEN_CHECKED",
    "TOKEN_ISSUED",
    "TOKEN_PREFIX",
    "Crash",
    "Tally",
    "Target",
    "Unexpected",
    "chip_world",
    "decode",
    "der_nodes",
    "encode",
    "execute",
    "fuzz",
    "replace_node",
    "run_chip",
    "run_chunk",
    "run_target",
    "run_token",
    "token_world",
]
