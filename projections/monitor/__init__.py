"""Misuse monitoring: projections that watch check-ins for patterns a single verdict cannot see."""
