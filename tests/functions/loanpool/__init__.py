"""loanpool function tests."""
