"""Faust stream processors that build the Redis read model from the event log.

Every projection is disposable: drop its keys and replay the topics from offset zero to get the
same state back. Each one is idempotent, because Faust delivers at least once.
"""

# Every projection, in the order a full rebuild runs them: the monitor after the projections it
# sits beside, the alerts after the monitor (which may publish alerts as it rebuilds).
NAMES = ("participation", "usage", "face", "monitor", "alerts")
