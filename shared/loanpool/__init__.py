"""The loan pool service: interest-free loans from SYSTEM_LOAN_POOL."""
