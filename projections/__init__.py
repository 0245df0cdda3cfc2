"""Faust stream processors that build the Redis read model from the event log.

Every projection is disposable: drop its keys and replay the topics from offset zero to get the
same state back. Each one is idempotent, because Faust delivers at least once.
"""

# Every projection, in the order a full rebuild runs them: the monitor after the projections it
# sits beside, the alerts after the monitor (which may publish alerts as it rebuilds).
# Not here: the re-check of provisional check-ins (projections/recheck.py). It is a process manager
# that publishes CheckInFinalised events; rebuilding it would judge old check-ins against today's
# records and publish again, so only the workers run it, and its state (rc:*) outlives rebuilds.
NAMES = ("participation", "usage", "face", "monitor", "alerts")
