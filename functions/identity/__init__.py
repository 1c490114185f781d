"""identity functions."""
