"""Benchmarks: ``python -m app.bench`` prints a table, ``--json`` one JSON object.

Each benchmark returns figures keyed by a stable name. Speed targets are checked here, never by
timed tests.
"""
