"""The organization service: organizations, authorization rules and multisig transfers."""
