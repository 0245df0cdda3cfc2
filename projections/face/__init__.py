"""Face-match statistics per person and per facility."""
