"""Fabric messages: building signed proposals and requests, reading endorsed transactions.

Pure functions over the `hyperledger-fabric-protos` messages, shared by the client and the test
gateway (which must parse exactly what the client signs). A chaincode call `<Contract>:<Function>`
with string arguments becomes ChaincodeInput args `[b"Contract:Function", arg1, ...]`, as the
fabric-contract-api expects.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.chain.fabric.identity import SigningIdentity, transaction_id
from shared.chain.fabric.pb import (
    ab_pb2,
    chaincode_event_pb2,
    chaincode_pb2,
    common_pb2,
    gateway_pb2,
    proposal_pb2,
    proposal_response_pb2,
    timestamp_pb2,
    transaction_pb2,
)

NONCE_BYTES = 24  # what the Fabric SDKs use


def new_nonce() -> bytes:
    return os.urandom(NONCE_BYTES)


@dataclass(frozen=True)
class Proposal:
    tx_id: str
    signed: Any


def build_proposal(
    identity: SigningIdentity,
    *,
    channel: str,
    chaincode: str,
    contract: str,
    function: str,
    args: list[str],
    nonce: bytes,
    now: datetime | None = None,
) -> Proposal:
    """A signed chaincode proposal whose tx id is SHA-256(nonce || creator), as Fabric checks."""
    creator = identity.creator
    tx_id = transaction_id(nonce, creator)
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(now or datetime.now(UTC))
    channel_header = common_pb2.ChannelHeader(
        type=common_pb2.HeaderType.ENDORSER_TRANSACTION,
        channel_id=channel,
        tx_id=tx_id,
        timestamp=stamp,
        extension=proposal_pb2.ChaincodeHeaderExtension(
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode)
        ).SerializeToString(),
    )
    header = common_pb2.Header(
        channel_header=channel_header.SerializeToString(),
        signature_header=common_pb2.SignatureHeader(creator=creator, nonce=nonce).SerializeToString(),
    )
    spec = chaincode_pb2.ChaincodeInvocationSpec(
        chaincode_spec=chaincode_pb2.ChaincodeSpec(
            type=chaincode_pb2.ChaincodeSpec.NODE,
            chaincode_id=chaincode_pb2.ChaincodeID(name=chaincode),
            input=chaincode_pb2.ChaincodeInput(
                # System chaincodes (qscc) take the bare function name.
                args=[(f"{contract}:{function}" if contract else function).encode(),
                      *(a.encode() for a in args)]
            ),
        )
    )
    proposal = proposal_pb2.Proposal(
        header=header.SerializeToString(),
        payload=proposal_pb2.ChaincodeProposalPayload(input=spec.SerializeToString()).SerializeToString(),
    )
    proposal_bytes = proposal.SerializeToString()
    return Proposal(
        tx_id, proposal_pb2.SignedProposal(proposal_bytes=proposal_bytes, signature=identity.sign(proposal_bytes))
    )


@dataclass(frozen=True)
class ProposalView:
    """What a gateway reads from a signed proposal."""

    tx_id: str
    channel: str
    chaincode: str
    creator: bytes
    nonce: bytes
    contract: str
    function: str
    args: list[str]
    header: bytes
    payload: bytes


def read_proposal(signed: Any) -> ProposalView:
    proposal = proposal_pb2.Proposal.FromString(signed.proposal_bytes)
    header = common_pb2.Header.FromString(proposal.header)
    channel_header = common_pb2.ChannelHeader.FromString(header.channel_header)
    signature_header = common_pb2.SignatureHeader.FromString(header.signature_header)
    extension = proposal_pb2.ChaincodeHeaderExtension.FromString(channel_header.extension)
    payload = proposal_pb2.ChaincodeProposalPayload.FromString(proposal.payload)
    spec = chaincode_pb2.ChaincodeInvocationSpec.FromString(payload.input)
    name, *args = [a.decode() for a in spec.chaincode_spec.input.args]
    contract, _, function = name.rpartition(":")
    return ProposalView(
        tx_id=channel_header.tx_id, channel=channel_header.channel_id,
        chaincode=extension.chaincode_id.name, creator=signature_header.creator,
        nonce=signature_header.nonce, contract=contract, function=function, args=args,
        header=proposal.header, payload=proposal.payload,
    )


def endorsed_envelope(
    view: ProposalView, *, result: bytes, event: Any
) -> Any:
    """The unsigned prepared transaction a gateway returns from Endorse (endorsements omitted:
    the test gateway plays every endorser itself)."""
    action = proposal_pb2.ChaincodeAction(
        response=proposal_response_pb2.Response(status=200, payload=result),
        events=event.SerializeToString() if event is not None else b"",
    )
    response_payload = proposal_response_pb2.ProposalResponsePayload(extension=action.SerializeToString())
    action_payload = transaction_pb2.ChaincodeActionPayload(
        chaincode_proposal_payload=view.payload,
        action=transaction_pb2.ChaincodeEndorsedAction(
            proposal_response_payload=response_payload.SerializeToString()
        ),
    )
    signature_header = common_pb2.Header.FromString(view.header).signature_header
    transaction = transaction_pb2.Transaction(
        actions=[transaction_pb2.TransactionAction(header=signature_header,
                                                   payload=action_payload.SerializeToString())]
    )
    payload = common_pb2.Payload(
        header=common_pb2.Header.FromString(view.header), data=transaction.SerializeToString()
    )
    return common_pb2.Envelope(payload=payload.SerializeToString())


@dataclass(frozen=True)
class EnvelopeView:
    tx_id: str
    creator: bytes
    result: bytes


def read_envelope(envelope: Any) -> EnvelopeView:
    """The tx id, creator and chaincode return value of a prepared transaction."""
    payload = common_pb2.Payload.FromString(envelope.payload)
    channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
    signature_header = common_pb2.SignatureHeader.FromString(payload.header.signature_header)
    transaction = transaction_pb2.Transaction.FromString(payload.data)
    result = b""
    if transaction.actions:
        action_payload = transaction_pb2.ChaincodeActionPayload.FromString(transaction.actions[0].payload)
        response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
            action_payload.action.proposal_response_payload
        )
        result = proposal_pb2.ChaincodeAction.FromString(response_payload.extension).response.payload
    return EnvelopeView(channel_header.tx_id, signature_header.creator, result)


def sign_envelope(identity: SigningIdentity, envelope: Any) -> Any:
    return common_pb2.Envelope(payload=envelope.payload, signature=identity.sign(envelope.payload))


def commit_status_request(identity: SigningIdentity, channel: str, tx_id: str) -> Any:
    request = gateway_pb2.CommitStatusRequest(
        transaction_id=tx_id, channel_id=channel, identity=identity.creator
    ).SerializeToString()
    return gateway_pb2.SignedCommitStatusRequest(request=request, signature=identity.sign(request))


def chaincode_events_request(
    identity: SigningIdentity, channel: str, chaincode: str, start_block: int
) -> Any:
    request = gateway_pb2.ChaincodeEventsRequest(
        channel_id=channel, chaincode_id=chaincode, identity=identity.creator,
        start_position=ab_pb2.SeekPosition(specified=ab_pb2.SeekSpecified(number=start_block)),
    ).SerializeToString()
    return gateway_pb2.SignedChaincodeEventsRequest(request=request, signature=identity.sign(request))


def decode_json(data: bytes) -> Any:
    """A chaincode payload: JSON when it parses, else its text (GX chaincode returns JSON)."""
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


@dataclass(frozen=True)
class BlockTx:
    """One valid transaction of a block that carries a chaincode event of our chaincode."""

    tx_id: str
    event_index: int  # ordinal among such transactions in the block: the port's tx index
    timestamp: datetime
    result: bytes
    event: Any


def read_block(block: Any, chaincode: str) -> list[BlockTx]:
    """The valid transactions of `block` with an event of `chaincode`, in block order: the same
    selection and order as the gateway's ChaincodeEvents stream, so indices agree with it."""
    flags = b""
    index = common_pb2.BlockMetadataIndex.TRANSACTIONS_FILTER
    if len(block.metadata.metadata) > index:
        flags = block.metadata.metadata[index]
    found: list[BlockTx] = []
    for position, raw in enumerate(block.data.data):
        if position < len(flags) and flags[position] != transaction_pb2.TxValidationCode.VALID:
            continue
        envelope = common_pb2.Envelope.FromString(raw)
        payload = common_pb2.Payload.FromString(envelope.payload)
        channel_header = common_pb2.ChannelHeader.FromString(payload.header.channel_header)
        if channel_header.type != common_pb2.HeaderType.ENDORSER_TRANSACTION:
            continue
        transaction = transaction_pb2.Transaction.FromString(payload.data)
        for action in transaction.actions:
            action_payload = transaction_pb2.ChaincodeActionPayload.FromString(action.payload)
            response_payload = proposal_response_pb2.ProposalResponsePayload.FromString(
                action_payload.action.proposal_response_payload
            )
            chaincode_action = proposal_pb2.ChaincodeAction.FromString(response_payload.extension)
            if not chaincode_action.events:
                continue
            event = chaincode_event_pb2.ChaincodeEvent.FromString(chaincode_action.events)
            if event.chaincode_id != chaincode:
                continue
            found.append(BlockTx(
                tx_id=channel_header.tx_id, event_index=len(found),
                timestamp=channel_header.timestamp.ToDatetime(tzinfo=UTC),
                result=chaincode_action.response.payload, event=event,
            ))
            break
    return found
