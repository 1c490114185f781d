"""Rule violations raised by the pure business rules.

A `RuleViolation` carries a stable `code` (the same vocabulary the chaincode returns, so callers and
the preview endpoints can tell "insufficient funds" from "not authorised") and a message for people.
The embedded chaincode turns any `RuleViolation` into a `BusinessRejection`; HTTP code can map it to
a 4xx. It subclasses ValueError because every violation is a value the rules refuse.
"""

from __future__ import annotations

from typing import Any

# Stable codes: part of the ledger's contract with its callers (the outbox classifies on them).
INVALID_ARGUMENT = "INVALID_ARGUMENT"
INVALID_AMOUNT = "INVALID_AMOUNT"
INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
NOT_FOUND = "NOT_FOUND"
NOT_REGISTERED = "NOT_REGISTERED"
ALREADY_EXISTS = "ALREADY_EXISTS"
NOT_AUTHORIZED = "NOT_AUTHORIZED"
SYSTEM_PAUSED = "SYSTEM_PAUSED"
NOT_BOOTSTRAPPED = "NOT_BOOTSTRAPPED"
ALREADY_BOOTSTRAPPED = "ALREADY_BOOTSTRAPPED"
ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
ALREADY_RECEIVED_GENESIS = "ALREADY_RECEIVED_GENESIS"
NOT_ELIGIBLE = "NOT_ELIGIBLE"
INVALID_STATE = "INVALID_STATE"
OVERFLOW = "OVERFLOW"


class RuleViolation(ValueError):
    """A business rule refused the operation; deterministic, never worth retrying."""

    code = INVALID_ARGUMENT

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class InvalidAmount(RuleViolation):
    code = INVALID_AMOUNT


class InsufficientFunds(RuleViolation):
    code = INSUFFICIENT_FUNDS


class NotFound(RuleViolation):
    code = NOT_FOUND


class AlreadyExists(RuleViolation):
    code = ALREADY_EXISTS


class NotAuthorized(RuleViolation):
    code = NOT_AUTHORIZED


class InvalidState(RuleViolation):
    code = INVALID_STATE
