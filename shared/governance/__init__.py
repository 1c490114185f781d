"""The governance service: parameter proposals, votes and execution."""
