"""Benchmarks (run by hand or `make bench`; not timed tests)."""
