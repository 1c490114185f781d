"""The ledger port: the only way the backend talks to the chain.

Two adapters implement it: `embedded` (the GX chaincode semantics in Python, world state in its own
PostgreSQL schema; the default for `make run` and tests) and `fabric` (a Fabric Gateway client).
Calls are addressed as `<ContractName>:<Function>` with string arguments, as on Fabric. The backend
always acts with a service identity whose role the chaincode checks; the acting *user* is passed
explicitly as an argument and user-level authorisation is the backend's job.

Outcomes are typed so callers never parse messages:
- `Committed`: the transaction is in a block (tx id, block number, index in block, return payload,
  its single chaincode event);
- `BusinessRejection`: the chaincode refused (insufficient funds, not registered, paused, not
  authorised, already exists, ...): deterministic, never worth retrying;
- `DuplicateTransaction`: a transaction with this id was already committed; look it up with
  `transaction(tx_id)`: the earlier attempt succeeded;
- `TransientFailure`: the ledger could not be reached or the outcome is unknown; retry later with
  the same tx id (a duplicate id can never apply twice).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Protocol, runtime_checkable


class ServiceIdentity(str, Enum):
    """The backend's chain identities, one per chaincode role (`gxc_role`)."""

    SUPER_ADMIN = "gx_super_admin"
    ADMIN = "gx_admin"
    PARTNER_API = "gx_partner_api"


@dataclass(frozen=True, slots=True)
class ChainEvent:
    """One chaincode event: exactly one per committed transaction (as on Fabric)."""

    block_number: int
    tx_index: int
    tx_id: str
    name: str
    payload: dict[str, Any]
    timestamp: datetime  # the block's timestamp, never the processing time

    @property
    def position(self) -> tuple[int, int]:
        return (self.block_number, self.tx_index)


@dataclass(frozen=True, slots=True)
class Committed:
    tx_id: str
    block_number: int
    tx_index: int
    result: Any = None  # the chaincode's return payload (JSON), e.g. created ids
    event: ChainEvent | None = None
    timestamp: datetime | None = None


class ChainError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class BusinessRejection(ChainError):
    """The chaincode refused the transaction; nothing was written. Never retried."""


class TransientFailure(ChainError):
    """Unreachable, timed out, or a retryable conflict; the outcome may be unknown."""

    def __init__(self, code: str, message: str, *, counts_as_attempt: bool = True) -> None:
        super().__init__(code, message)
        # An open circuit breaker fails fast without reaching the ledger: not an attempt.
        self.counts_as_attempt = counts_as_attempt


class DuplicateTransaction(ChainError):
    def __init__(self, tx_id: str) -> None:
        super().__init__("DUPLICATE_TXID", f"transaction {tx_id} was already committed")
        self.tx_id = tx_id


@dataclass(frozen=True, slots=True)
class Submission:
    contract: str
    function: str
    args: Sequence[str]
    tx_id: str
    identity: ServiceIdentity = ServiceIdentity.PARTNER_API
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class LedgerPort(Protocol):
    def submit(self, submission: Submission) -> Committed:
        """Endorse, order and commit one transaction; raises a ChainError subclass otherwise."""

    def submit_batch(self, submissions: Sequence[Submission]) -> list[Committed | ChainError]:
        """Several independent transactions; one outcome per submission, in order.

        The embedded ledger commits them in one block (as a Fabric orderer batches); a failure
        of one never affects the others. A TransientFailure for the whole batch is raised.
        """

    def evaluate(
        self, contract: str, function: str, args: Sequence[str],
        identity: ServiceIdentity = ServiceIdentity.PARTNER_API,
    ) -> Any:
        """Run a query function without ordering; its JSON result."""

    def transaction(self, tx_id: str) -> Committed | None:
        """The committed transaction with this id, or None if the ledger has none."""

    def events(self, after: tuple[int, int] | None = None, limit: int = 500) -> Iterator[ChainEvent]:
        """Events strictly after position (block, tx index), in chain order, at most `limit`."""

    def height(self) -> int:
        """The number of the newest block (0 before the first)."""


def tx_id_for(command_id: str) -> str:
    """The chain transaction id of an outbox command: deterministic, so a resubmission of the
    same command carries the same id and the ledger rejects it as a duplicate."""
    return hashlib.sha256(f"gx-command:{command_id}".encode()).hexdigest()


@functools.cache
def _ledger(kind: str) -> LedgerPort:
    if kind == "embedded":
        from shared.chain.embedded import EmbeddedLedger

        return EmbeddedLedger.from_settings()
    if kind == "fabric":
        from shared.chain.fabric import FabricLedger

        return FabricLedger.from_settings()
    raise ValueError(f"unknown GX_LEDGER {kind!r}")


def get_ledger() -> LedgerPort:
    """The configured ledger adapter (GX_LEDGER=embedded|fabric), one per process."""
    from shared.config import get_settings

    return _ledger(get_settings().ledger)
