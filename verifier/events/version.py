"""The event schema's version: stamped on every envelope written, checked on every one read."""

# 2: personal fields sealed under per-person data keys (verifier/events/sealing.py).
SCHEMA_VERSION = 2
