"""governance functions."""
