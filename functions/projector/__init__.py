"""projector functions."""
