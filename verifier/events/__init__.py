"""The event contract's one owner: envelopes, the schema version, upcasters and decoding.

A leaf package: it imports only the domain and the generated protobuf bindings (`bhyt.v1`), so
the verifier, the projections, the benchmarks and the tests can all depend on it.
"""

from verifier.events.decoding import UPCASTERS, UndecodableEvent, decode_event
from verifier.events.version import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "UPCASTERS", "UndecodableEvent", "decode_event"]
