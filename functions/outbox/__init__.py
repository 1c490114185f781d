"""outbox functions."""
