"""commands functions."""
