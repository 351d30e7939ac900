"""Benchmarks (`make bench`): figures measured on this machine, printed side by side."""
