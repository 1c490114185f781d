"""organization function tests."""
