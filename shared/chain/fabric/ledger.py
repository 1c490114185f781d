"""`FabricLedger`: the ledger port over the Fabric Gateway gRPC service (Fabric 2.5).

A submission: look up (or record) the command's nonce in the nonce log -> build and sign the
proposal with the identity of the command's role -> Endorse -> sign the prepared envelope ->
mark SUBMITTED (write-ahead: from here the outcome may be unknown) -> Submit -> CommitStatus.
A VALID status is `Committed`; the block is read through qscc (`GetBlockByNumber`) for the
transaction's index among the block's chaincode events, its timestamp and its event.

Positions: Fabric's ChaincodeEvents stream gives per block the events of valid transactions of
our chaincode, in block order. The port's (block, tx index) is (block number, ordinal of the event
in that list); blocks never change, so a checkpoint resumes exactly: reopen the stream at the
checkpoint's block and skip the events up to and including its index. Block numbers are Fabric's
(block 0 is the channel's genesis config block, so the port's height is Fabric height - 1).

Every call has a deadline; the channel sends keepalive pings so a dead peer is noticed on an idle
connection; a circuit breaker fails fast (not counted as an attempt) while the peer is down.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc  # type: ignore[import-untyped]  # no stubs in the lock (types-grpcio)
import psycopg

from shared.chain.fabric import errors, protocol
from shared.chain.fabric.breaker import CircuitBreaker
from shared.chain.fabric.identity import IdentityError, SigningIdentity
from shared.chain.fabric.pb import (
    common_pb2,
    gateway_pb2,
    gateway_pb2_grpc,
    ledger_pb2,
    transaction_pb2,
)
from shared.chain.fabric.settings import ROLE_PREFIX, FabricSettings, load
from shared.chain.fabric.txlog import Entry, TxLog, creator_hash
from shared.chain.port import (
    BusinessRejection,
    ChainError,
    ChainEvent,
    Committed,
    DuplicateTransaction,
    ServiceIdentity,
    Submission,
    TransientFailure,
)
from shared.config import ConfigError
from shared.db.errors import DatabaseError, DatabaseUnavailable
from shared.observability import get_logger

log = get_logger(__name__)
T = TypeVar("T")

#: Chaincode functions that take the outbox's deterministic id as an idempotency argument, and
#: its position: an empty value there is filled with the port tx id, so even a transaction sent
#: again under a new Fabric id (after a certificate renewal) cannot apply twice.
IDEMPOTENCY_ARG = {("TokenomicsContract", "TransferWithFees"): 5}


class FabricLedger:
    """Implements `shared.chain.port.LedgerPort` against a Fabric Gateway peer."""

    def __init__(
        self,
        *,
        endpoint: str,
        identities: dict[ServiceIdentity, SigningIdentity],
        channel: str = "gxchannel",
        chaincode: str = "gxtv3",
        tls_ca_pem: bytes | None = None,
        tls_server_name: str = "",
        settings: FabricSettings | None = None,
        txlog: TxLog | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        missing = [i.value for i in ServiceIdentity if i not in identities]
        if missing:
            raise ConfigError(f"no Fabric identity for {', '.join(missing)}")
        self.endpoint = endpoint
        self.identities = identities
        self.channel = channel
        self.chaincode = chaincode
        self.tls_ca_pem = tls_ca_pem
        self.tls_server_name = tls_server_name
        self.settings = settings or FabricSettings()
        self.txlog = txlog or TxLog()
        self.breaker = breaker or CircuitBreaker(self.settings.breaker_failures, self.settings.breaker_reset_s)
        self._lock = threading.Lock()
        self._grpc: grpc.Channel | None = None
        self._pid = 0
        self._blocks: OrderedDict[int, list[protocol.BlockTx]] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: FabricSettings | None = None) -> FabricLedger:
        """Validate GX_FABRIC_* (files present, keys matching their certificates) or raise
        ConfigError naming the variable; no connection is made yet."""
        config = load(settings)
        s = config.settings
        identities: dict[ServiceIdentity, SigningIdentity] = {}
        for identity, files in config.roles.items():
            try:
                identities[identity] = SigningIdentity.from_pem(s.msp_id, files.cert_pem, files.key_pem)
            except IdentityError as exc:
                prefix = ROLE_PREFIX[identity].upper()
                raise ConfigError(
                    f"GX_FABRIC_{prefix}_CERT_PATH / GX_FABRIC_{prefix}_KEY_PATH: {exc}"
                ) from None
        return cls(
            endpoint=s.peer_endpoint, identities=identities, channel=config.channel,
            chaincode=config.chaincode, tls_ca_pem=config.tls_ca_pem,
            tls_server_name=s.tls_server_name, settings=s,
        )

    # --- plumbing ----------------------------------------------------------------------------
    def _stub(self) -> gateway_pb2_grpc.GatewayStub:
        # One channel per process, re-created after a fork (gRPC channels do not survive fork).
        with self._lock:
            if self._grpc is None or self._pid != os.getpid():
                keepalive_ms = int(self.settings.keepalive_s * 1000)
                options: list[tuple[str, Any]] = [
                    ("grpc.keepalive_time_ms", keepalive_ms),
                    ("grpc.keepalive_timeout_ms", 10_000),
                    ("grpc.keepalive_permit_without_calls", 1),
                    ("grpc.http2.max_pings_without_data", 0),
                    ("grpc.max_receive_message_length", 100 * 1024 * 1024),
                    # Reconnect quickly once the peer is back: the breaker already limits load.
                    ("grpc.initial_reconnect_backoff_ms", 200),
                    ("grpc.max_reconnect_backoff_ms", 2_000),
                ]
                if self.tls_server_name:
                    options.append(("grpc.ssl_target_name_override", self.tls_server_name))
                if self.tls_ca_pem is not None:
                    credentials = grpc.ssl_channel_credentials(root_certificates=self.tls_ca_pem)
                    self._grpc = grpc.secure_channel(self.endpoint, credentials, options=options)
                else:
                    self._grpc = grpc.insecure_channel(self.endpoint, options=options)
                self._pid = os.getpid()
            return gateway_pb2_grpc.GatewayStub(self._grpc)

    def close(self) -> None:
        with self._lock:
            if self._grpc is not None:
                self._grpc.close()
                self._grpc = None

    def _call(self, stage: str, call: Callable[[], T], *, tx_id: str = "",
              deadline_is_outage: bool = True) -> T:
        """Run one gRPC call through the breaker; gRPC errors become port errors."""
        self.breaker.before()
        try:
            result = call()
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else None
            outage = code in errors.OUTAGE_CODES and (
                deadline_is_outage or code != grpc.StatusCode.DEADLINE_EXCEEDED
            )
            if outage:
                self.breaker.failure()
            else:
                self.breaker.success()  # the peer answered
            raise errors.from_rpc(exc, tx_id=tx_id, stage=stage) from exc
        self.breaker.success()
        return result

    def _identity(self, identity: ServiceIdentity | str) -> SigningIdentity:
        try:
            return self.identities[ServiceIdentity(identity)]
        except (ValueError, KeyError):
            raise BusinessRejection("NOT_AUTHORIZED", f"unknown identity {identity!r}") from None

    # --- writes ------------------------------------------------------------------------------
    def submit(self, submission: Submission) -> Committed:
        try:
            return self._submit(submission)
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            # The nonce log is unreachable: nothing is sent without its record (or the outcome
            # of what was sent is unknown); either way a retry with the same id is safe.
            raise TransientFailure("NONCE_LOG_UNAVAILABLE", f"{type(exc).__name__}: {exc}") from exc

    def _submit(self, submission: Submission) -> Committed:
        sub = submission
        identity = self._identity(sub.identity)
        entry = self._entry(sub.tx_id, identity)
        if entry.state == "COMMITTED":
            raise DuplicateTransaction(sub.tx_id)
        now = datetime.now(UTC)
        proposal = protocol.build_proposal(
            identity, channel=self.channel, chaincode=self.chaincode, contract=sub.contract,
            function=sub.function, args=_with_idempotency(sub), nonce=entry.nonce, now=now,
        )
        assert proposal.tx_id == entry.fabric_tx_id
        s, stub = self.settings, self._stub()
        endorsed = self._call(
            "endorse",
            lambda: stub.Endorse(
                gateway_pb2.EndorseRequest(
                    transaction_id=proposal.tx_id, channel_id=self.channel,
                    proposed_transaction=proposal.signed,
                ),
                timeout=s.endorse_timeout_s,
            ),
            tx_id=sub.tx_id,
        )
        envelope = protocol.sign_envelope(identity, endorsed.prepared_transaction)
        self.txlog.mark(sub.tx_id, proposal.tx_id, "SUBMITTED")
        self._call(
            "submit",
            lambda: stub.Submit(
                gateway_pb2.SubmitRequest(
                    transaction_id=proposal.tx_id, channel_id=self.channel,
                    prepared_transaction=envelope,
                ),
                timeout=s.submit_timeout_s,
            ),
            tx_id=sub.tx_id,
        )
        status = self._commit_status(identity, proposal.tx_id, s.commit_timeout_s, sub.tx_id)
        if status.result != transaction_pb2.TxValidationCode.VALID:
            raise self._invalid(sub.tx_id, identity, entry, status)
        self.txlog.mark(sub.tx_id, proposal.tx_id, "COMMITTED", status.block_number)
        return self._committed(status.block_number, proposal.tx_id)

    def _entry(self, tx_id: str, identity: SigningIdentity) -> Entry:
        entry = self.txlog.reserve(tx_id, identity.creator)
        if entry.creator_hash == creator_hash(identity.creator):
            return entry
        # The role's certificate was renewed since the nonce was recorded: the old Fabric id can
        # no longer be produced. Renew only once the old one is known not to be committed.
        if entry.state != "PREPARED" and self._lookup(entry) is not None:
            self.txlog.mark(tx_id, entry.fabric_tx_id, "COMMITTED")
            return Entry(**{**entry.__dict__, "state": "COMMITTED"})
        return self.txlog.renew(tx_id, identity.creator, expected_fabric_tx_id=entry.fabric_tx_id)

    def _commit_status(
        self, identity: SigningIdentity, fabric_tx_id: str, timeout: float, tx_id: str
    ) -> Any:
        stub = self._stub()
        return self._call(
            "commit-status",
            lambda: stub.CommitStatus(
                protocol.commit_status_request(identity, self.channel, fabric_tx_id), timeout=timeout
            ),
            tx_id=tx_id,
            # Waiting longer than the deadline for a commit says nothing about the peer's health.
            deadline_is_outage=False,
        )

    def _invalid(
        self, tx_id: str, identity: SigningIdentity, entry: Entry,
        status: Any,
    ) -> ChainError:
        error = errors.from_commit_status(status.result, tx_id)
        if not isinstance(error, DuplicateTransaction):
            # An invalid transaction never applied, but its id is burned: Fabric would refuse it
            # as a duplicate. The next attempt needs a new nonce.
            self.txlog.renew(tx_id, identity.creator, expected_fabric_tx_id=entry.fabric_tx_id)
        log.error("fabric.tx_invalid", tx_id=tx_id, fabric_tx_id=entry.fabric_tx_id,
                  block=status.block_number, status=errors.status_name(status.result),
                  outcome=type(error).__name__)
        return error

    def submit_batch(self, submissions: Sequence[Submission]) -> list[Committed | ChainError]:
        """Independent submissions in parallel (Fabric's orderer batches them into blocks)."""
        if not submissions:
            return []

        def one(sub: Submission) -> Committed | ChainError:
            try:
                return self.submit(sub)
            except ChainError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - e.g. the nonce log's database: unknown outcome
                return TransientFailure("LEDGER_CLIENT_ERROR", f"{type(exc).__name__}: {exc}")

        if len(submissions) == 1:
            return [one(submissions[0])]
        with ThreadPoolExecutor(max_workers=min(16, len(submissions))) as pool:
            return list(pool.map(one, submissions))

    # --- reads -------------------------------------------------------------------------------
    def _evaluate_raw(
        self, chaincode: str, contract: str, function: str, args: Sequence[str],
        identity: ServiceIdentity | str,
    ) -> bytes:
        signer = self._identity(identity)
        proposal = protocol.build_proposal(
            signer, channel=self.channel, chaincode=chaincode, contract=contract,
            function=function, args=list(args), nonce=protocol.new_nonce(),
        )
        stub = self._stub()
        response = self._call(
            "evaluate",
            lambda: stub.Evaluate(
                gateway_pb2.EvaluateRequest(
                    transaction_id=proposal.tx_id, channel_id=self.channel,
                    proposed_transaction=proposal.signed,
                ),
                timeout=self.settings.evaluate_timeout_s,
            ),
        )
        return bytes(response.result.payload)

    def evaluate(
        self, contract: str, function: str, args: Sequence[str],
        identity: ServiceIdentity = ServiceIdentity.PARTNER_API,
    ) -> Any:
        return protocol.decode_json(self._evaluate_raw(self.chaincode, contract, function, args, identity))

    def height(self) -> int:
        raw = self._evaluate_raw("qscc", "", "GetChainInfo", [self.channel], ServiceIdentity.PARTNER_API)
        return max(0, int(ledger_pb2.BlockchainInfo.FromString(raw).height) - 1)

    def _block(self, number: int) -> list[protocol.BlockTx]:
        """The event-carrying transactions of one block (cached: blocks never change)."""
        with self._lock:
            if number in self._blocks:
                self._blocks.move_to_end(number)
                return self._blocks[number]
        raw = self._evaluate_raw(
            "qscc", "", "GetBlockByNumber", [self.channel, str(number)], ServiceIdentity.PARTNER_API
        )
        txs = protocol.read_block(common_pb2.Block.FromString(raw), self.chaincode)
        with self._lock:
            self._blocks[number] = txs
            while len(self._blocks) > 256:
                self._blocks.popitem(last=False)
        return txs

    def _committed(self, block_number: int, fabric_tx_id: str) -> Committed:
        for tx in self._block(block_number):
            if tx.tx_id == fabric_tx_id:
                event = _chain_event(block_number, tx.event_index, tx.tx_id, tx.event.event_name,
                                     tx.event.payload, tx.timestamp)
                return Committed(
                    tx_id=fabric_tx_id, block_number=block_number, tx_index=tx.event_index,
                    result=protocol.decode_json(tx.result), event=event, timestamp=tx.timestamp,
                )
        # Committed VALID but without a GX event: the chaincode always sets one, so this is a
        # chaincode defect; still committed (never resubmit), with no position in the stream.
        log.error("fabric.committed_without_event", fabric_tx_id=fabric_tx_id, block=block_number)
        return Committed(tx_id=fabric_tx_id, block_number=block_number, tx_index=-1)

    def _lookup(self, entry: Entry) -> Committed | None:
        identity = next(
            (i for i in self.identities.values() if creator_hash(i.creator) == entry.creator_hash),
            self.identities[ServiceIdentity.PARTNER_API],
        )
        try:
            status = self._commit_status(
                identity, entry.fabric_tx_id, self.settings.lookup_timeout_s, entry.tx_id
            )
        except TransientFailure as exc:
            if exc.code == "LEDGER_DEADLINE_EXCEEDED":
                # Not committed yet (the gateway waits for it): resubmitting reuses the same Fabric
                # id, so whichever copy commits first is the only one that applies.
                return None
            raise
        if status.result != transaction_pb2.TxValidationCode.VALID:
            return None
        return self._committed(status.block_number, entry.fabric_tx_id)

    def transaction(self, tx_id: str) -> Committed | None:
        try:
            entry = self.txlog.get(tx_id)
        except (DatabaseUnavailable, DatabaseError, psycopg.Error) as exc:
            raise TransientFailure("NONCE_LOG_UNAVAILABLE", f"{type(exc).__name__}: {exc}") from exc
        if entry is None or entry.state == "PREPARED":
            return None  # never handed to the orderer
        found = self._lookup(entry)
        if found is None and entry.state == "COMMITTED":
            raise TransientFailure("LEDGER_INCONSISTENT", f"{tx_id} was committed but is not found")
        if found is not None:
            self.txlog.mark(tx_id, entry.fabric_tx_id, "COMMITTED", found.block_number)
        return found

    def events(self, after: tuple[int, int] | None = None, limit: int = 500) -> Iterator[ChainEvent]:
        """Events strictly after `after`, read from the ChaincodeEvents stream: it is opened at
        the checkpoint's block and read until `limit` events or `events_idle_s` without data."""
        if limit <= 0:
            return iter(())
        start_block, skip_through = after if after is not None else (0, -1)
        identity = self.identities[ServiceIdentity.PARTNER_API]
        stub = self._stub()
        request = protocol.chaincode_events_request(identity, self.channel, self.chaincode, start_block)
        self.breaker.before()
        stream = stub.ChaincodeEvents(request)
        found: list[ChainEvent] = []
        idle = threading.Timer(self.settings.events_idle_s, stream.cancel)
        try:
            idle.start()
            for response in stream:
                idle.cancel()
                block = int(response.block_number)
                for index, event in enumerate(response.events):
                    if block == start_block and index <= skip_through:
                        continue  # delivered before the checkpoint
                    timestamp = self._tx_time(block, event.tx_id)
                    found.append(_chain_event(block, index, event.tx_id, event.event_name,
                                              event.payload, timestamp))
                    if len(found) >= limit:
                        break
                if len(found) >= limit:
                    break
                idle = threading.Timer(self.settings.events_idle_s, stream.cancel)
                idle.start()
            self.breaker.success()
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.CANCELLED:  # our idle timer: caught up
                self.breaker.success()
            else:
                if exc.code() in errors.OUTAGE_CODES:
                    self.breaker.failure()
                if not found:
                    raise errors.from_rpc(exc, stage="chaincode-events") from exc
                # Deliver what arrived; the next call resumes after the last of it.
                log.warning("fabric.event_stream_broken", code=exc.code().name, delivered=len(found))
        finally:
            idle.cancel()
            stream.cancel()
        return iter(found)

    def _tx_time(self, block: int, fabric_tx_id: str) -> datetime:
        # The transaction's timestamp (what the chaincode's GetTxTimestamp saw), from the block.
        for tx in self._block(block):
            if tx.tx_id == fabric_tx_id:
                return tx.timestamp
        raise TransientFailure("LEDGER_INCONSISTENT", f"event of {fabric_tx_id} not in block {block}")


def _with_idempotency(sub: Submission) -> list[str]:
    args = list(sub.args)
    position = IDEMPOTENCY_ARG.get((sub.contract, sub.function))
    if position is not None and position < len(args) and not args[position]:
        args[position] = sub.tx_id
    return args


def _chain_event(
    block: int, index: int, tx_id: str, name: str, payload: bytes, timestamp: datetime
) -> ChainEvent:
    try:
        data = json.loads(payload) if payload else {}
    except ValueError:
        data = {"raw": payload.decode(errors="replace")}
    if not isinstance(data, dict):
        data = {"value": data}
    return ChainEvent(block, index, tx_id, name, data, timestamp)
