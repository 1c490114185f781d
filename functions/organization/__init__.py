"""organization functions."""
