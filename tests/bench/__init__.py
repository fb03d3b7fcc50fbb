"""Benchmarks (not tests): run with scripts/bench. See bench_relay.py."""
