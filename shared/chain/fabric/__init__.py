"""The Fabric Gateway adapter of the ledger port (GX_LEDGER=fabric); see `ledger.py`."""

from shared.chain.fabric.ledger import FabricLedger
from shared.chain.fabric.settings import FabricSettings

__all__ = ["FabricLedger", "FabricSettings"]
