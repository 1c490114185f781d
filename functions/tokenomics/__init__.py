"""tokenomics functions."""
