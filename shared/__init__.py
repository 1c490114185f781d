"""The library every GX function imports: configuration, database, HTTP, auth, ledger access."""
