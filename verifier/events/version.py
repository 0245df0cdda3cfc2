"""The event schema's version: stamped on every envelope written, checked on every one read."""

SCHEMA_VERSION = 1
