"""Faust stream processors that build the Redis read model from the event log.

Every projection is disposable: drop its keys and replay the topics from offset zero to get the
same state back. Each one is idempotent, because Faust delivers at least once. The list of them
is `projections/registry.py`.
"""
