"""governance function tests."""
