"""Misuse alerts as staff see them: each alert's latest revision and status, and the recent list."""
