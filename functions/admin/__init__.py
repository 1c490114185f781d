"""admin functions."""
