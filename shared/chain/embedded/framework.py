"""The embedded chaincode framework: how contract functions are declared, dispatched and checked.

Writing a contract function
---------------------------
A contract is a module in `shared/chain/embedded/contracts/` (discovered automatically, in name
order). Each function is a plain Python function registered with `@chaincode`::

    from shared.chain.embedded.framework import ADMINS, Stub, chaincode, reject
    from shared.chain.embedded import ledger_ops

    @chaincode("LoanPoolContract", "ApproveLoan", roles=ADMINS)
    def approve_loan(stub: Stub, loan_id: str) -> dict:
        loan = stub.get_json(stub.key("loan", loan_id)) or reject("NOT_FOUND", f"loan {loan_id}")
        ledger_ops.transfer(stub, "SYSTEM_LOAN_POOL", loan["borrowerID"], loan["amount"],
                            kind="LOAN_DISBURSEMENT", remark=f"Loan Disbursement for {loan_id}")
        stub.put_json(stub.key("loan", loan_id), {**loan, "status": "Active"})
        stub.set_event("LoanApproved", {"loanID": loan_id, ...})
        return {"loanID": loan_id}

Rules the framework enforces (so no contract has to remember them):
- Arguments arrive as strings, in order, exactly as on Fabric; the call is refused with
  `INVALID_ARGUMENT` when their number does not fit the Python signature. Parse them with the
  `arg_*` helpers below, which raise `RuleViolation` on bad input.
- `roles` is the set of service identities (`gxc_role`) allowed to call the function; any other
  caller gets `NOT_AUTHORIZED`. Use `SUPER_ADMINS`, `ADMINS` (super admin + admin) or `ANYONE`.
- A state-changing function (`query=False`) is refused with `SYSTEM_PAUSED` while the chain is
  paused, unless it is registered with `pausable=False` (only ResumeSystem). This is the one place
  the pause flag is checked (gaps.md A28: genesis included).
- A state-changing function must call `stub.set_event(name, payload)` (the last call wins, as on
  Fabric): every committed transaction carries exactly one event, and the framework refuses to
  commit one without. The payload is validated against its JSON Schema in `events/`; an event with
  no schema, or one that does not validate, fails the transaction (`INVALID_EVENT`). Because only
  one event survives, it must name *every* balance effect of the transaction (DESIGN.md §4).
- Raise `RuleViolation` (or call `reject(code, message)`) to refuse; nothing the function wrote is
  kept (writes are buffered in the stub until the transaction succeeds). Any other exception is a
  chaincode bug and is reported as a `BusinessRejection` with code `CHAINCODE_ERROR`, because it is
  deterministic and would fail again on retry.
- The return value (JSON-serialisable) is the transaction's result (`Committed.result`), e.g. the
  id of what was created. Query functions (`query=True`) return what `evaluate` answers and must
  not write; submitting a query function is refused.
- Money moves only through `shared.chain.embedded.ledger_ops` (one helper that refuses negatives,
  overflow, frozen accounts and missing accounts), so supply is conserved by construction.
- Cross-contract calls: `stub.invoke("AdminContract", "UpdateSystemParameter", name, value)` runs
  another registered function inside the same transaction (same write set, same event slot), like
  a chaincode calling itself on Fabric; it skips the role and pause checks of the callee because
  the outer function already passed its own.

Stub reads: `get_json(key)` (None when absent), `get_by_prefix` / `get_by_range` (key order,
including this transaction's own writes), `get_history_for_key` (committed writes, newest first);
`tx_id`, `tx_timestamp` (the block's time, the same for every tx in a block and never going
backwards), `identity` (the caller's ServiceIdentity), `block_number` and `tx_index`.

State keys are text; build them with `stub.key(kind, *parts)` (a composite key whose parts are
joined by U+001F, so `stub.get_by_prefix(stub.key_prefix(kind, part))` lists all keys of that kind
under that part in key order). Values are JSON (dicts, lists, integers, strings). Integers are exact:
amounts are stored as JSON integers of Qirat.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, Protocol

from shared.chain.port import ServiceIdentity
from shared.domain import money
from shared.domain.errors import INVALID_ARGUMENT, NOT_AUTHORIZED, RuleViolation

SUPER_ADMINS: frozenset[ServiceIdentity] = frozenset({ServiceIdentity.SUPER_ADMIN})
ADMINS: frozenset[ServiceIdentity] = frozenset({ServiceIdentity.SUPER_ADMIN, ServiceIdentity.ADMIN})
ANYONE: frozenset[ServiceIdentity] = frozenset(ServiceIdentity)

CHAINCODE_ERROR = "CHAINCODE_ERROR"
INVALID_EVENT = "INVALID_EVENT"
UNKNOWN_FUNCTION = "UNKNOWN_FUNCTION"

KEY_SEP = "\x1f"  # PostgreSQL text cannot hold NUL (Fabric's separator); U+001F sorts below every printable


class Stub(Protocol):
    """What a contract function sees of its transaction (the Fabric ChaincodeStub, in Python)."""

    @property
    def tx_id(self) -> str: ...
    @property
    def tx_timestamp(self) -> datetime: ...
    @property
    def identity(self) -> ServiceIdentity: ...
    @property
    def block_number(self) -> int: ...
    @property
    def tx_index(self) -> int: ...

    def get_json(self, key: str) -> Any: ...
    def put_json(self, key: str, value: Any) -> None: ...
    def del_state(self, key: str) -> None: ...
    def get_by_range(self, start: str, end: str) -> Iterator[tuple[str, Any]]: ...
    def get_by_prefix(self, prefix: str) -> Iterator[tuple[str, Any]]: ...
    def get_history_for_key(self, key: str, limit: int = 1000) -> list[dict[str, Any]]: ...
    def set_event(self, name: str, payload: dict[str, Any]) -> None: ...
    def savepoint(self) -> AbstractContextManager[None]:
        """Undo the writes and event made inside the block if it raises a RuleViolation (which
        is re-raised): lets a function record a failed step and still commit, e.g. a multisig
        transfer that fails at execution while its approval must stand."""
        ...
    def invoke(self, contract: str, function: str, *args: str) -> Any: ...
    def key(self, kind: str, *parts: str) -> str: ...
    def key_prefix(self, kind: str, *parts: str) -> str: ...


@dataclass(frozen=True)
class ChaincodeFunction:
    contract: str
    function: str
    impl: Callable[..., Any]
    roles: frozenset[ServiceIdentity]
    query: bool
    pausable: bool
    min_args: int
    max_args: int
    #: prefetch(keys, *args) -> the state keys the function will read, so a block reads them all
    #: in one query first (`keys` has the stub's `key`/`key_prefix` and nothing else). A hint
    #: only saves round trips: a key it misses is read as usual, one it names needlessly costs
    #: nothing but its lookup.
    prefetch: Callable[..., Iterable[str]] | None = None

    @property
    def name(self) -> str:
        return f"{self.contract}:{self.function}"

    def check_arity(self, args: tuple[str, ...]) -> None:
        if not self.min_args <= len(args) <= self.max_args:
            expected = (
                str(self.min_args) if self.min_args == self.max_args
                else f"{self.min_args}..{self.max_args}"
            )
            raise RuleViolation(
                f"{self.name} takes {expected} arguments, got {len(args)}", code=INVALID_ARGUMENT
            )

    def check_role(self, identity: ServiceIdentity) -> None:
        if identity not in self.roles:
            raise RuleViolation(
                f"{self.name} requires role {' or '.join(sorted(r.value for r in self.roles))}",
                code=NOT_AUTHORIZED,
            )


_REGISTRY: dict[tuple[str, str], ChaincodeFunction] = {}


def chaincode(
    contract: str,
    function: str,
    *,
    roles: frozenset[ServiceIdentity] | set[ServiceIdentity] = ANYONE,
    query: bool = False,
    pausable: bool = True,
    prefetch: Callable[..., Iterable[str]] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(stub, *string_args)` as `<contract>:<function>` on the embedded chain."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        params = list(inspect.signature(fn).parameters.values())[1:]  # drop the stub
        if any(p.kind in (p.VAR_KEYWORD, p.KEYWORD_ONLY) for p in params):
            raise TypeError(f"{contract}:{function}: chaincode arguments are positional strings")
        variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        fixed = [p for p in params if p.kind is not p.VAR_POSITIONAL]
        required = sum(1 for p in fixed if p.default is p.empty)
        key = (contract, function)
        if key in _REGISTRY and _REGISTRY[key].impl is not fn:
            raise ValueError(f"chaincode function {contract}:{function} registered twice")
        _REGISTRY[key] = ChaincodeFunction(
            contract=contract,
            function=function,
            impl=fn,
            roles=frozenset(roles),
            query=query,
            pausable=pausable and not query,
            min_args=required,
            max_args=10_000 if variadic else len(fixed),
            prefetch=prefetch,
        )
        return fn

    return register


@functools.cache
def _load_contracts() -> None:
    from shared.chain.embedded import contracts

    for info in sorted(pkgutil.iter_modules(contracts.__path__), key=lambda i: i.name):
        importlib.import_module(f"{contracts.__name__}.{info.name}")


def lookup(contract: str, function: str) -> ChaincodeFunction:
    """The registered function, or a `RuleViolation` (UNKNOWN_FUNCTION) as Fabric would answer."""
    _load_contracts()
    try:
        return _REGISTRY[(contract, function)]
    except KeyError:
        raise RuleViolation(
            f"function {function} not found in contract {contract}", code=UNKNOWN_FUNCTION
        ) from None


def registered() -> dict[str, ChaincodeFunction]:
    """Every registered function by `<Contract>:<Function>` (for tests and documentation)."""
    _load_contracts()
    return {f.name: f for f in _REGISTRY.values()}


def reject(code: str, message: str, **fields: Any) -> NoReturn:
    """Refuse the transaction with a stable code (becomes a BusinessRejection)."""
    raise RuleViolation(message, code=code, **fields)


# --- argument parsing: every chaincode argument is a string --------------------------------------

_UINT = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
MAX_UINT64 = 2**64 - 1


def arg_uint(value: str, name: str) -> int:
    """An unsigned 64-bit integer written in decimal (counts, ages, rates)."""
    text = value.strip() if isinstance(value, str) else ""
    if not _UINT.match(text) or int(text) > MAX_UINT64:
        reject(INVALID_ARGUMENT, f"{name} must be a non-negative integer, got {value!r}")
    return int(text)


def arg_amount(value: str, name: str = "amount") -> int:
    """A positive amount of Qirat written in decimal, parsed like every amount (`money`)."""
    text = value.strip() if isinstance(value, str) else value
    try:
        number = money.parse(text, name=name, allow_zero=True, strings_only=True)
    except money.AmountError as exc:
        reject(INVALID_ARGUMENT, str(exc))
    if number == 0:
        reject("INVALID_AMOUNT", f"{name} must be greater than zero")
    return number


def arg_text(value: str, name: str, *, max_len: int = 1000, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        reject(INVALID_ARGUMENT, f"{name} is required")
    if len(value) > max_len:
        reject(INVALID_ARGUMENT, f"{name} is longer than {max_len} characters")
    return value


def arg_country(value: str, name: str = "countryCode") -> str:
    if not isinstance(value, str) or not _COUNTRY.match(value.strip()):
        reject(INVALID_ARGUMENT, f"{name} must be a 2-letter country code, got {value!r}")
    return value.strip().upper()


def arg_hex64(value: str, name: str) -> str:
    if not isinstance(value, str) or not _HEX64.match(value):
        reject(INVALID_ARGUMENT, f"{name} must be 64 hexadecimal characters (SHA-256)")
    return value.lower()


def arg_json(value: str, name: str) -> Any:
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        reject(INVALID_ARGUMENT, f"{name} must be JSON")


def arg_bool(value: str, name: str) -> bool:
    if value in ("true", "false"):
        return value == "true"
    reject(INVALID_ARGUMENT, f"{name} must be 'true' or 'false', got {value!r}")
