"""Identity and KYC: registration, credentials, sessions, KYC evidence, on-chain registration."""
