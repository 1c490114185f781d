"""Governance commands: submit (admin), vote (any active user, once), execute (admin).

VOTE_ON_PROPOSAL replaces the unmappable CAST_VOTE (commands.md §3, gaps.md C16): the voter id
is an argument, so every user gets one vote although the backend has one identity (gaps.md C18),
and the vote is a strict JSON boolean sent as "true"/"false" (gaps.md B18).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StrictBool, StringConstraints
from pydantic.alias_generators import to_camel

from shared.chain.catalogue import CommandDef, define
from shared.chain.catalogue.tokenomics import AccountId, Strict
from shared.chain.port import ServiceIdentity

CONTRACT = "GovernanceContract"
SERVICE = "governance"

Id = AccountId


class Payload(Strict):
    """camelCase on the wire (as the commands.md payloads), closed, frozen."""

    model_config = ConfigDict(alias_generator=to_camel)


class SubmitProposal(Payload):
    target_param: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                   max_length=100)]
    new_value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                max_length=100)]
    proposer_id: Id


class VoteOnProposal(Payload):
    proposal_id: Id
    voter_id: Id
    vote: StrictBool


class ExecuteProposal(Payload):
    proposal_id: Id


define(CommandDef(
    type="SUBMIT_PROPOSAL", contract=CONTRACT, function="SubmitProposal", payload=SubmitProposal,
    args=lambda p: [p.target_param, p.new_value, p.proposer_id], identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"governance:{p.target_param}", service=SERVICE,
    description="Propose a new value for a governable system parameter.",
))
define(CommandDef(
    type="VOTE_ON_PROPOSAL", contract=CONTRACT, function="VoteOnProposal", payload=VoteOnProposal,
    args=lambda p: [p.proposal_id, p.voter_id, "true" if p.vote else "false"],
    identity=ServiceIdentity.PARTNER_API, aggregate=lambda p: f"proposal:{p.proposal_id}",
    service=SERVICE,
    description="One yes/no vote per user while the proposal is Active.",
))
define(CommandDef(
    type="EXECUTE_PROPOSAL", contract=CONTRACT, function="ExecuteProposal",
    payload=ExecuteProposal, args=lambda p: [p.proposal_id], identity=ServiceIdentity.ADMIN,
    aggregate=lambda p: f"proposal:{p.proposal_id}", service=SERVICE,
    description="After the vote: apply the parameter change if it passed.",
))
