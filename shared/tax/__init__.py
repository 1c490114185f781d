"""Tax and fees: the fee preview and velocity-tax eligibility (computed by the same pure rules
the chain runs), and velocity-tax application as an admin command."""
