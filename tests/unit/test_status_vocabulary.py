"""One status vocabulary, the chain's (issue 10, acceptance 4; gaps.md B13).

Enumerated, not sampled: every `status` any organization, multisig, loan, proposal or relationship
reply or filter can carry is exactly one of the chain's enums in shared.domain; every status a
chain event of those families can carry (its JSON Schema `const`/`enum`) is in the same enum; and
the statuses the projections write on their own are too. So the backend can neither answer nor
store a status the chain never uses (no "Passed", "PENDING", "ACTIVE", "Repaid", ...).
"""

from __future__ import annotations

import json
import re
import typing
from enum import Enum
from pathlib import Path
from typing import Any

import pytest

from knative.registry import http_functions
from knative.spec import resolve
from shared.domain.governance import ProposalStatus
from shared.domain.loans import LoanStatus
from shared.domain.multisig import OrgStatus, PendingTxStatus
from shared.domain.trust import RelationshipStatus
from shared.governance.schemas import ProposalStatusName
from shared.loanpool.schemas import LoanStatusName
from shared.organization.schemas import PendingTxStatusName

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ENUMS: dict[str, type[Enum]] = {
    "organization": OrgStatus, "multisig": PendingTxStatus, "loan": LoanStatus,
    "proposal": ProposalStatus, "relationship": RelationshipStatus,
}
VOCABULARIES = {frozenset(e.value for e in enum) for enum in CHAIN_ENUMS.values()}
ISSUE_10 = [s for s in http_functions()
            if s.service in ("organization", "loanpool", "governance")
            or "relationships" in s.tags]


def _values(enum: type[Enum]) -> set[str]:
    return {e.value for e in enum}


def _status_enums(schema: dict[str, Any]) -> list[set[str]]:
    """Every enum a property named `status` may take, anywhere in a JSON Schema."""
    defs = schema.get("$defs", {})
    found: list[set[str]] = []

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        return defs[ref.rsplit("/", 1)[-1]] if ref else node

    def enums_of(node: dict[str, Any]) -> set[str]:
        node = deref(node)
        if "enum" in node:
            return set(node["enum"])
        if "const" in node:
            return {node["const"]}
        out: set[str] = set()
        for option in node.get("anyOf", []):
            out |= enums_of(option)
        return out

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for name, prop in node.get("properties", {}).items():
                if name == "status":
                    found.append(enums_of(prop))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    return found


def test_the_issue_10_routes_are_all_enumerated() -> None:
    assert len(ISSUE_10) == 27  # 12 organization, 5 loan pool, 5 governance, 5 relationships


@pytest.mark.parametrize("spec", ISSUE_10, ids=lambda s: s.name)
def test_every_reply_and_filter_status_is_a_chain_vocabulary(spec) -> None:  # type: ignore[no-untyped-def]
    for ref in (spec.response_model, spec.query_model):
        if ref is None or ref.endswith(":CommandAccepted"):
            continue  # the command status vocabulary (PENDING..FAILED) is the outbox's own
        for values in _status_enums(resolve(ref).model_json_schema()):
            assert frozenset(values) in VOCABULARIES, (spec.name, ref, values)


def test_replies_that_carry_a_status_are_bound_to_their_chain_enum() -> None:
    expected = {
        "shared.organization.schemas:OrganizationReply": OrgStatus,
        "shared.organization.schemas:PendingTransactionReply": PendingTxStatus,
        "shared.organization.schemas:PendingTransactionList": PendingTxStatus,
        "shared.loanpool.schemas:LoanReply": LoanStatus,
        "shared.loanpool.schemas:LoanList": LoanStatus,
        "shared.governance.schemas:ProposalReply": ProposalStatus,
        "shared.governance.schemas:ProposalList": ProposalStatus,
        "shared.relationships.schemas:RelationshipList": RelationshipStatus,
    }
    for ref, enum in expected.items():
        assert _status_enums(resolve(ref).model_json_schema()) == [_values(enum)], ref


@pytest.mark.parametrize(("literal", "enum"), [
    (PendingTxStatusName, PendingTxStatus), (LoanStatusName, LoanStatus),
    (ProposalStatusName, ProposalStatus),
])
def test_query_filters_spell_the_chain_enum_exactly(literal: Any, enum: type[Enum]) -> None:
    assert list(typing.get_args(literal)) == [e.value for e in enum]


_EVENT_FAMILIES = {
    "organization_": OrgStatus, "org_tx_": PendingTxStatus, "loan_": LoanStatus,
    "proposal_": ProposalStatus, "relationship_": RelationshipStatus,
}


@pytest.mark.parametrize("path", sorted((ROOT / "events").glob("*.v*.json")), ids=lambda p: p.stem)
def test_chain_event_statuses_are_in_the_vocabulary(path: Path) -> None:
    family = next((enum for prefix, enum in _EVENT_FAMILIES.items()
                   if path.name.startswith(prefix)), None)
    if family is None:
        return  # not an organization, multisig, loan, proposal or relationship event
    for values in _status_enums(json.loads(path.read_text())):
        assert values and values <= _values(family), (path.name, values)


def test_statuses_the_projections_write_themselves_are_the_chains() -> None:
    source = (ROOT / "shared" / "readmodels" / "projections.py").read_text()
    multisig = set(re.findall(r'_multisig\(conn, record, "(\w+)"', source))
    proposals = set(re.findall(r'governance\.proposal\([^)]*?status="(\w+)"', source, re.DOTALL))
    assert multisig and multisig <= _values(PendingTxStatus), multisig
    assert proposals and proposals <= _values(ProposalStatus), proposals
