"""The embedded GX ledger: the chaincode's semantics in Python, world state in PostgreSQL.

`EmbeddedLedger` implements `shared.chain.port.LedgerPort`; contracts live in `contracts/` and
register their functions with `framework.chaincode` (read `framework`'s docstring before writing
one); `ledger_ops` holds the world-state layout and the single money-moving helper.
"""

from shared.chain.embedded.ledger import EmbeddedLedger

__all__ = ["EmbeddedLedger"]
