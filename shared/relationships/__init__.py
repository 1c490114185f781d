"""The relationships service: the social graph and the trust score it yields."""
