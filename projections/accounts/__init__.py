"""Accounts and registered staff: bhyt.accounts.v1 -> Redis (see model.py)."""
