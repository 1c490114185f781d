"""loanpool functions."""
