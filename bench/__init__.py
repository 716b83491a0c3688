"""Benchmarks that print figures (`oligoplan bench ...`); never timed tests."""
