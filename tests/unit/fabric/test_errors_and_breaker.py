"""Error classification and the circuit breaker."""

from __future__ import annotations

import grpc
import pytest
from fabric_protos.gateway import gateway_pb2
from fabric_protos.peer import transaction_pb2
from google.protobuf import any_pb2
from google.rpc import status_pb2

from shared.chain.fabric import errors
from shared.chain.fabric.breaker import CircuitBreaker
from shared.chain.port import BusinessRejection, DuplicateTransaction, TransientFailure


class FakeRpcError(grpc.RpcError):
    """A gRPC error as the client raises it (status, message, trailing details)."""

    def __init__(self, code: grpc.StatusCode, message: str, *details: str) -> None:
        self._code, self._message = code, message
        packed = []
        for text in details:
            item = any_pb2.Any()
            item.Pack(gateway_pb2.ErrorDetail(address="p:7051", msp_id="M", message=text))
            packed.append(item)
        self._trailing = (("grpc-status-details-bin",
                           status_pb2.Status(code=code.value[0], message=message,
                                             details=packed).SerializeToString()),)

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._message

    def trailing_metadata(self):  # type: ignore[no-untyped-def]
        return self._trailing


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
def test_outages_are_transient(code) -> None:
    error = errors.from_rpc(FakeRpcError(code, "down"), stage="endorse")
    assert isinstance(error, TransientFailure) and error.code == f"LEDGER_{code.name}"


def test_a_chaincode_message_in_the_details_is_a_business_rejection() -> None:
    error = errors.from_rpc(FakeRpcError(grpc.StatusCode.ABORTED, "failed to endorse",
                                         "chaincode response 500, USER_NOT_FOUND: no user u1"),
                            stage="endorse")
    assert isinstance(error, BusinessRejection)
    assert (error.code, error.message) == ("USER_NOT_FOUND", "no user u1")
    plain = errors.from_rpc(FakeRpcError(grpc.StatusCode.ABORTED, "x", "chaincode response 500, nope"),
                            stage="endorse")
    assert isinstance(plain, BusinessRejection) and plain.code == "CHAINCODE_REJECTED"


def test_endorsement_failures_without_a_chaincode_response_are_transient() -> None:
    error = errors.from_rpc(FakeRpcError(grpc.StatusCode.ABORTED, "failed to endorse",
                                         "failed to connect to endorser"), stage="endorse")
    assert isinstance(error, TransientFailure)


def test_a_duplicate_at_endorsement_is_a_duplicate_of_the_port_id() -> None:
    error = errors.from_rpc(FakeRpcError(grpc.StatusCode.ABORTED, "x",
                                         "duplicate transaction found [abc]. Creator [..]"),
                            tx_id="port-id", stage="endorse")
    assert isinstance(error, DuplicateTransaction) and error.tx_id == "port-id"


@pytest.mark.parametrize(
    ("status", "kind", "code"),
    [
        ("MVCC_READ_CONFLICT", TransientFailure, "MVCC_READ_CONFLICT"),
        ("PHANTOM_READ_CONFLICT", TransientFailure, "PHANTOM_READ_CONFLICT"),
        ("DUPLICATE_TXID", DuplicateTransaction, "DUPLICATE_TXID"),
        ("ENDORSEMENT_POLICY_FAILURE", BusinessRejection, "TX_ENDORSEMENT_POLICY_FAILURE"),
        ("BAD_CREATOR_SIGNATURE", BusinessRejection, "TX_BAD_CREATOR_SIGNATURE"),
    ],
)
def test_commit_statuses_are_classified(status, kind, code) -> None:
    error = errors.from_commit_status(transaction_pb2.TxValidationCode.Value(status), "t1")
    assert isinstance(error, kind) and error.code == code


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_breaker_opens_fails_fast_and_closes_after_a_good_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=2, reset_s=5.0, clock=clock)
    breaker.before()
    breaker.failure()
    breaker.before()  # one failure is not enough
    breaker.failure()
    with pytest.raises(TransientFailure) as info:
        breaker.before()
    assert info.value.code == "LEDGER_CIRCUIT_OPEN" and not info.value.counts_as_attempt
    clock.now = 5.0
    breaker.before()  # the trial call
    with pytest.raises(TransientFailure):
        breaker.before()  # only one trial at a time
    breaker.failure()  # the trial failed: open again for reset_s
    clock.now = 9.0
    with pytest.raises(TransientFailure):
        breaker.before()
    clock.now = 10.0
    breaker.before()
    breaker.success()
    assert breaker.state == "closed"
    breaker.before()


def test_the_breaker_exports_its_state_for_the_alert() -> None:
    from prometheus_client import REGISTRY

    opened = REGISTRY.get_sample_value("gx_ledger_circuit_opened_total") or 0.0
    breaker = CircuitBreaker(failures=1, reset_s=5.0, clock=Clock())
    breaker.failure()
    assert REGISTRY.get_sample_value("gx_ledger_circuit_open") == 1
    breaker.failure()  # still open: not a second opening
    assert REGISTRY.get_sample_value("gx_ledger_circuit_opened_total") == opened + 1
    breaker.success()
    assert REGISTRY.get_sample_value("gx_ledger_circuit_open") == 0
