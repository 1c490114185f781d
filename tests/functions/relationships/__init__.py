"""relationships function tests."""
