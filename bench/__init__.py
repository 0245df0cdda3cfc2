"""Benchmarks: each prints its figures and writes them into BENCHMARKS.md with the command."""
