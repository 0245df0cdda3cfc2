"""The Redis read model's one owner: key schema, offset guards and record codecs.

The projections (`projections/`, the writers) and the verifier's adapters (the readers) both
import from here, so a key or a record format changes in one place. Pure: no Redis client here.

- `participation`: participation records, usage, face keys, the CCCD index, offset guard fields
- `alerts`: the alerts projection's records and the rules every alert reader shares
- `places`: the misuse monitor's per-facility counters, which the staff dashboard reads
"""
