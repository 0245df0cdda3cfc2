"""The card usage projection: check-ins per person per day, totals, last facility, recent list."""
