"""Capacity tooling: locust journeys (`locustfile.py`, `shapes.py`), the API seeder (`seed.py`,
`gx loadtest seed`) and the benchmark harness (`bench.py`, `gx bench`). Results go to
`loadtest/results/` (git-ignored)."""
