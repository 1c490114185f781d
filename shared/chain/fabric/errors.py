"""Mapping Fabric Gateway outcomes to the port's typed errors.

- gRPC UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED / CANCELLED: the peer could not be
  reached in time, the outcome may be unknown -> TransientFailure (and a breaker failure).
- An endorsement failure whose details carry a chaincode response (`chaincode response 500, ...`)
  -> BusinessRejection with the chaincode's code when its message starts with `CODE: `.
- `duplicate transaction found` at endorsement, or a DUPLICATE_TXID commit status
  -> DuplicateTransaction: an earlier attempt with this tx id exists.
- Commit statuses MVCC_READ_CONFLICT and PHANTOM_READ_CONFLICT -> TransientFailure (another
  transaction won the race; a retry re-reads); every other non-VALID status is a deterministic
  invalidation -> BusinessRejection `TX_<STATUS>`.
- Any other ABORTED/UNKNOWN/FAILED_PRECONDITION (no endorsers, orderer refused) -> transient.
"""

from __future__ import annotations

import re

import grpc  # type: ignore[import-untyped]  # no stubs in the lock (types-grpcio)

from shared.chain.fabric.pb import gateway_pb2, status_pb2, transaction_pb2
from shared.chain.port import BusinessRejection, ChainError, DuplicateTransaction, TransientFailure

#: Transport-level codes: the peer is down or overloaded, not the request's fault.
OUTAGE_CODES = frozenset({
    grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.CANCELLED,
})
RETRYABLE_STATUSES = frozenset({"MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"})

_CHAINCODE = re.compile(r"chaincode response (\d+), (.*)", re.DOTALL)
_CODED = re.compile(r"^([A-Z][A-Z0-9_]{2,63}): (.*)", re.DOTALL)


def details(error: grpc.RpcError) -> list[str]:
    """The ErrorDetail messages a gateway attaches (one per endorser or orderer) + the message."""
    messages: list[str] = []
    trailing = getattr(error, "trailing_metadata", lambda: None)() or ()
    for key, value in trailing:
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for any_detail in status.details:
                detail = gateway_pb2.ErrorDetail()
                if any_detail.Unpack(detail):
                    messages.append(detail.message)
    return messages


def from_rpc(error: grpc.RpcError, *, tx_id: str = "", stage: str) -> ChainError:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = (error.details() if hasattr(error, "details") else None) or str(error)
    if code in OUTAGE_CODES:
        return TransientFailure(f"LEDGER_{code.name}", f"{stage}: {message}")
    texts = [*details(error), message]
    for text in texts:
        if "duplicate transaction found" in text:
            return DuplicateTransaction(tx_id)
    for text in texts:
        found = _CHAINCODE.search(text)
        if found and found.group(1).startswith("4") or found and found.group(1).startswith("5"):
            body = found.group(2).strip()
            coded = _CODED.match(body)
            if coded:
                return BusinessRejection(coded.group(1), coded.group(2))
            return BusinessRejection("CHAINCODE_REJECTED", body)
    if code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
        return BusinessRejection(f"FABRIC_{code.name}", f"{stage}: {message}")
    if code in (grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        # The peer refused our identity: a configuration fault, retried and counted so a command
        # never waits forever for an operator.
        return TransientFailure("LEDGER_ACCESS_DENIED", f"{stage}: {'; '.join(texts)}")
    return TransientFailure(f"LEDGER_{code.name}", f"{stage}: {'; '.join(texts)}")


def status_name(code: int) -> str:
    try:
        return str(transaction_pb2.TxValidationCode.Name(code))
    except ValueError:
        return f"CODE_{code}"


def from_commit_status(code: int, tx_id: str) -> ChainError:
    """The error for a transaction committed with a non-VALID validation code."""
    name = status_name(code)
    if name == "DUPLICATE_TXID":
        return DuplicateTransaction(tx_id)
    if name in RETRYABLE_STATUSES:
        return TransientFailure(name, f"transaction {tx_id} invalidated by {name}; retry")
    return BusinessRejection(f"TX_{name}", f"transaction {tx_id} was committed invalid: {name}")
