"""Ledger access: the port the backend uses, the embedded chaincode, the Fabric Gateway client."""
