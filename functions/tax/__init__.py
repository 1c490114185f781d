"""tax functions."""
