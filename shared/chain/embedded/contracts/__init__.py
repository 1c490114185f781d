"""Chaincode contracts: each module registers functions with `framework.chaincode`.

Modules here are imported (in name order) the first time the ledger looks up a function, so a new
contract needs no registration beyond its decorators.
"""
