"""A local Fabric Gateway for the tests: the real `gateway.Gateway` gRPC service from the protos.

It checks what a Fabric peer's gateway checks before anything else: every signature (ECDSA
P-256, low S) over the real proposal / envelope / request bytes, by a certificate issued by the
trusted CA of the expected MSP, and the Fabric tx id (SHA-256(nonce || creator)). The chaincode
is scripted: endorsement results and rejections, commit statuses and outages come from `Script`;
each function's required role (the certificate's `gxc_role`) is enforced as the GX chaincode
does. Submitted transactions are cut into numbered blocks (block 0 is the genesis config
block); CommitStatus waits for the commit, ChaincodeEvents streams from a block, and qscc
answers GetChainInfo and GetBlockByNumber from the same blocks. The ledger (`Chain`) outlives the
server, so a test can stop and restart the server mid-stream.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fabric_protos.common import common_pb2, ledger_pb2
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.msp import identities_pb2
from fabric_protos.peer import chaincode_event_pb2, proposal_response_pb2, transaction_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from shared.chain.fabric import identity as fid
from shared.chain.fabric import protocol
from tests.integration.fabric.pki import MSP_ID, TestPKI, role_of

VALID = transaction_pb2.TxValidationCode.VALID


@dataclass
class Script:
    """What the scripted chaincode and network do; tests change it while the server runs."""

    #: (contract, function) -> the role the chaincode requires (absent: any role).
    roles: dict[tuple[str, str], str] = field(default_factory=dict)
    #: a proposal -> "CODE: message" the chaincode answers with status 500, or None to accept.
    reject: Callable[[protocol.ProposalView], str | None] = lambda v: None
    #: validation codes for the next committed transactions, in order (then VALID).
    commit_codes: list[int] = field(default_factory=list)
    #: every RPC answers UNAVAILABLE while time.monotonic() is before this.
    unavailable_until: float = 0.0
    #: the chaincode event of a transaction: (name, payload).
    event: Callable[[protocol.ProposalView], tuple[str, dict[str, Any]]] = (
        lambda v: ("SystemParameterUpdated",
                   {"paramKey": v.function, "paramValue": json.dumps(v.args), "oldValue": ""})
    )
    #: the chaincode's return value.
    result: Callable[[protocol.ProposalView], Any] = lambda v: {"function": v.function, "args": v.args}


@dataclass
class Record:
    contract: str
    function: str
    args: list[str]
    role: str | None
    tx_id: str


class Chain:
    """The blocks (with validation flags) the test gateway commits; survives server restarts."""

    def __init__(self, chaincode: str, block_wait_s: float = 0.05, block_size: int = 10) -> None:
        self.chaincode = chaincode
        self.block_wait_s = block_wait_s
        self.block_size = block_size
        self.cond = threading.Condition()
        genesis = common_pb2.Block(header=common_pb2.BlockHeader(number=0))
        self.blocks: list[common_pb2.Block] = [genesis]
        self.status: dict[str, tuple[int, int]] = {}  # tx id -> (validation code, block)
        self.pending: list[tuple[str, bytes]] = []
        self.commit_codes: list[int] = []
        self._cutter = threading.Thread(target=self._cut_loop, daemon=True)
        self._stop = threading.Event()
        self._cutter.start()

    def close(self) -> None:
        self._stop.set()

    def order(self, tx_id: str, envelope: bytes) -> None:
        with self.cond:
            self.pending.append((tx_id, envelope))
            if len(self.pending) >= self.block_size:
                self._cut()

    def _cut_loop(self) -> None:
        # Like an orderer's batch timeout: pending transactions wait at most block_wait_s.
        while not self._stop.wait(self.block_wait_s):
            with self.cond:
                if self.pending:
                    self._cut()

    def _cut(self) -> None:
        number = len(self.blocks)
        flags = bytearray()
        data: list[bytes] = []
        for tx_id, envelope in self.pending:
            if tx_id in self.status and self.status[tx_id][0] == VALID:
                code = transaction_pb2.TxValidationCode.DUPLICATE_TXID
            else:
                code = self.commit_codes.pop(0) if self.commit_codes else VALID
            flags.append(code)
            data.append(envelope)
            if tx_id not in self.status or code == VALID:
                self.status[tx_id] = (code, number)
        metadata = [b"", b"", bytes(flags), b"", b""]
        self.blocks.append(common_pb2.Block(
            header=common_pb2.BlockHeader(number=number), data=common_pb2.BlockData(data=data),
            metadata=common_pb2.BlockMetadata(metadata=metadata),
        ))
        self.pending = []
        self.cond.notify_all()

    def events(self, number: int) -> list[chaincode_event_pb2.ChaincodeEvent]:
        return [tx.event for tx in protocol.read_block(self.blocks[number], self.chaincode)]


class Servicer(gateway_pb2_grpc.GatewayServicer):
    def __init__(self, pki: TestPKI, chain: Chain, script: Script, channel: str) -> None:
        self.pki = pki
        self.chain = chain
        self.script = script
        self.channel = channel
        self.records: list[Record] = []
        self.rejected_signatures = 0

    # --- checks ------------------------------------------------------------------------------
    def _outage(self, context: grpc.ServicerContext) -> None:
        if time.monotonic() < self.script.unavailable_until:
            context.abort(grpc.StatusCode.UNAVAILABLE, "peer unavailable (scripted)")

    def _verify(self, context: grpc.ServicerContext, creator: bytes, message: bytes,
                signature: bytes) -> str | None:
        """The signer's role, after checking its MSP, its certificate's issuer and the signature."""
        try:
            serialized = identities_pb2.SerializedIdentity.FromString(creator)
            if serialized.mspid != MSP_ID:
                raise InvalidSignature(f"unknown MSP {serialized.mspid}")
            cert = fid.verify(creator, message, signature)
            ca_public = self.pki.ca_key.public_key()
            assert isinstance(ca_public, ec.EllipticCurvePublicKey)
            ca_public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError) as exc:
            self.rejected_signatures += 1
            context.abort(grpc.StatusCode.PERMISSION_DENIED, f"access denied: signature: {exc}")
        return role_of(cert)

    def _proposal(self, context: grpc.ServicerContext, channel: str, tx_id: str,
                  signed: Any) -> tuple[protocol.ProposalView, str | None]:
        view = protocol.read_proposal(signed)
        role = self._verify(context, view.creator, signed.proposal_bytes, signed.signature)
        if fid.transaction_id(view.nonce, view.creator) != view.tx_id or view.tx_id != tx_id:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "transaction id does not match nonce+creator")
        if channel != self.channel or view.channel != self.channel:
            context.abort(grpc.StatusCode.NOT_FOUND, f"channel {channel} not found")
        return view, role

    @staticmethod
    def _abort_with_details(context: grpc.ServicerContext, code: grpc.StatusCode, message: str,
                            detail: str) -> None:
        packed = any_pb2.Any()
        packed.Pack(gateway_pb2.ErrorDetail(address="peer0.test:7051", msp_id=MSP_ID, message=detail))
        status = status_pb2.Status(code=code.value[0], message=message, details=[packed])
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        context.abort(code, message)

    def _chaincode_error(self, view: protocol.ProposalView, role: str | None) -> str | None:
        required = self.script.roles.get((view.contract, view.function))
        if required is not None and role != required:
            return f"NOT_AUTHORIZED: {view.contract}:{view.function} requires {required}, caller is {role}"
        return self.script.reject(view)

    # --- the service -------------------------------------------------------------------------
    def Evaluate(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._outage(context)
        view, role = self._proposal(context, request.channel_id, request.transaction_id,
                                    request.proposed_transaction)
        if view.chaincode == "qscc":
            return gateway_pb2.EvaluateResponse(result=proposal_response_pb2.Response(
                status=200, payload=self._qscc(context, view)))
        error = self._chaincode_error(view, role)
        if error is not None:
            self._abort_with_details(
                context, grpc.StatusCode.UNKNOWN,
                f"evaluate call to endorser returned error: chaincode response 500, {error}",
                f"chaincode response 500, {error}")
        payload = json.dumps(self.script.result(view)).encode()
        return gateway_pb2.EvaluateResponse(result=proposal_response_pb2.Response(status=200, payload=payload))

    def _qscc(self, context: grpc.ServicerContext, view: protocol.ProposalView) -> bytes:
        with self.chain.cond:
            if view.function == "GetChainInfo":
                return ledger_pb2.BlockchainInfo(height=len(self.chain.blocks)).SerializeToString()
            if view.function == "GetBlockByNumber":
                number = int(view.args[1])
                if number < len(self.chain.blocks):
                    return self.chain.blocks[number].SerializeToString()
        context.abort(grpc.StatusCode.UNKNOWN, f"qscc {view.function}: not found")
        raise AssertionError  # abort raises

    def Endorse(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._outage(context)
        view, role = self._proposal(context, request.channel_id, request.transaction_id,
                                    request.proposed_transaction)
        with self.chain.cond:
            done = self.chain.status.get(view.tx_id)
        if done is not None and done[0] == VALID:
            msg = f"duplicate transaction found [{view.tx_id}]. Creator [{view.creator.hex()[:16]}]"
            self._abort_with_details(context, grpc.StatusCode.ABORTED,
                                     "failed to endorse transaction, see attached details for more info", msg)
        error = self._chaincode_error(view, role)
        if error is not None:
            self._abort_with_details(context, grpc.StatusCode.ABORTED,
                                     "failed to endorse transaction, see attached details for more info",
                                     f"chaincode response 500, {error}")
        name, payload = self.script.event(view)
        event = chaincode_event_pb2.ChaincodeEvent(
            chaincode_id=view.chaincode, tx_id=view.tx_id, event_name=name,
            payload=json.dumps(payload).encode(),
        )
        self.records.append(Record(view.contract, view.function, view.args, role, view.tx_id))
        envelope = protocol.endorsed_envelope(
            view, result=json.dumps(self.script.result(view)).encode(), event=event)
        return gateway_pb2.EndorseResponse(prepared_transaction=envelope)

    def Submit(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._outage(context)
        envelope = request.prepared_transaction
        view = protocol.read_envelope(envelope)
        self._verify(context, view.creator, envelope.payload, envelope.signature)
        if view.tx_id != request.transaction_id:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "transaction id mismatch")
        with self.chain.cond:
            if self.script.commit_codes:
                self.chain.commit_codes.append(self.script.commit_codes.pop(0))
        self.chain.order(view.tx_id, envelope.SerializeToString())
        return gateway_pb2.SubmitResponse()

    def CommitStatus(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._outage(context)
        inner = gateway_pb2.CommitStatusRequest.FromString(request.request)
        self._verify(context, inner.identity, request.request, request.signature)
        remaining = context.time_remaining()
        deadline = time.monotonic() + (remaining if remaining is not None else 3600.0)
        with self.chain.cond:
            while inner.transaction_id not in self.chain.status:
                left = deadline - time.monotonic()
                if left <= 0 or not context.is_active():
                    context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "commit wait timed out")
                self.chain.cond.wait(min(left, 0.05))
            code, block = self.chain.status[inner.transaction_id]
        return gateway_pb2.CommitStatusResponse(result=code, block_number=block)

    def ChaincodeEvents(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._outage(context)
        inner = gateway_pb2.ChaincodeEventsRequest.FromString(request.request)
        self._verify(context, inner.identity, request.request, request.signature)
        number = inner.start_position.specified.number
        while context.is_active():
            with self.chain.cond:
                while number >= len(self.chain.blocks) and context.is_active():
                    self.chain.cond.wait(0.05)
                if number >= len(self.chain.blocks):
                    return
                events = self.chain.events(number)
            if events:
                yield gateway_pb2.ChaincodeEventsResponse(events=events, block_number=number)
            number += 1


class GatewayServer:
    """The test gateway on a fixed local port with TLS; stop() / start() keep the chain."""

    def __init__(self, pki: TestPKI, chain: Chain, script: Script, channel: str = "gxchannel") -> None:
        self.pki = pki
        self.chain = chain
        self.script = script
        self.servicer = Servicer(pki, chain, script, channel)
        self.tls = pki.issue("localhost", server=True)
        self.port = 0
        self._server: grpc.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"localhost:{self.port}"

    def start(self) -> None:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
        gateway_pb2_grpc.add_GatewayServicer_to_server(self.servicer, server)
        credentials = grpc.ssl_server_credentials([(self.tls.key_pem, self.tls.cert_pem)])
        port = server.add_secure_port(f"127.0.0.1:{self.port}", credentials)
        if port == 0:
            raise RuntimeError(f"cannot listen on port {self.port}")
        self.port = port
        server.start()
        self._server = server

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=0).wait()
            self._server = None
