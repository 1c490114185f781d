"""The command catalogue: every outbox command type and how it maps to one chain call.

A `CommandDef` says which contract function a command calls, with which service identity, how its
validated payload becomes the function's ordered string arguments, and which aggregate it belongs
to (commands of one aggregate are submitted in the order they were accepted). Definitions live
next to the contracts they call, one module per area in this package, and are discovered here.
The outbox validates a payload against its `payload` model when the command is inserted, so a
command that cannot be mapped can never enter the outbox.
"""

from __future__ import annotations

import builtins
import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.chain.port import ServiceIdentity


@dataclass(frozen=True)
class CommandDef:
    type: str  # e.g. "TRANSFER_TOKENS"
    contract: str  # e.g. "TokenomicsContract"
    function: str  # e.g. "TransferWithFees"
    payload: builtins.type[BaseModel]  # `type` is also a field name here
    args: Callable[[Any], list[str]]  # validated payload -> ordered string arguments
    identity: ServiceIdentity
    aggregate: Callable[[Any], str]  # validated payload -> aggregate key, e.g. "user:<id>"
    service: str  # the producing service, e.g. "tokenomics"
    description: str = ""

    def to_call(self, payload: dict[str, Any]) -> tuple[str, str, list[str], ServiceIdentity]:
        model = self.payload.model_validate(payload)
        return self.contract, self.function, self.args(model), self.identity


_DEFINED: dict[str, CommandDef] = {}


def define(cmd: CommandDef) -> CommandDef:
    if cmd.type in _DEFINED and _DEFINED[cmd.type] is not cmd:
        raise ValueError(f"command type {cmd.type} defined twice")
    _DEFINED[cmd.type] = cmd
    return cmd


@functools.cache
def _load() -> dict[str, CommandDef]:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(_DEFINED)


def commands() -> dict[str, CommandDef]:
    """Every defined command type."""
    return _load()


def get_command(command_type: str) -> CommandDef:
    try:
        return _load()[command_type]
    except KeyError:
        raise LookupError(f"unknown command type {command_type!r}") from None
