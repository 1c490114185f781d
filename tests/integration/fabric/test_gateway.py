"""Acceptance 1 and 2 (ledger level): signed submissions by role, tampering, error mapping."""

from __future__ import annotations

import time
import uuid

import grpc
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from fabric_protos.gateway import gateway_pb2, gateway_pb2_grpc
from fabric_protos.peer import transaction_pb2

from shared import db
from shared.chain.catalogue import commands
from shared.chain.fabric import protocol
from shared.chain.fabric.identity import P256_N, SigningIdentity
from shared.chain.port import (
    BusinessRejection,
    Committed,
    DuplicateTransaction,
    ServiceIdentity,
    Submission,
    TransientFailure,
    tx_id_for,
)
from tests.integration.fabric.conftest import CHAINCODE, CHANNEL
from tests.integration.fabric.pki import MSP_ID


def _sub(contract: str, function: str, identity: ServiceIdentity, *args: str) -> Submission:
    return Submission(contract, function, list(args) or ["a"], tx_id_for(str(uuid.uuid4())),
                      identity=identity)


def test_every_command_type_is_signed_by_the_identity_of_its_role(ledger, gateway) -> None:
    catalogue = commands()
    assert catalogue
    for definition in catalogue.values():
        sub = _sub(definition.contract, definition.function, definition.identity, "x", "y")
        committed = ledger.submit(sub)
        assert isinstance(committed, Committed)
        record = gateway.servicer.records[-1]
        assert (record.contract, record.function) == (definition.contract, definition.function)
        assert record.role == definition.identity.value
        assert record.tx_id == committed.tx_id != sub.tx_id  # a Fabric id, from nonce+creator
        assert committed.event is not None and committed.event.tx_id == committed.tx_id
        assert committed.result == {"function": definition.function, "args": ["x", "y"]}
    assert gateway.servicer.rejected_signatures == 0


def test_the_wrong_role_is_refused_by_the_chaincode(ledger) -> None:
    with pytest.raises(BusinessRejection) as info:
        ledger.submit(_sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.PARTNER_API))
    assert info.value.code == "NOT_AUTHORIZED"


def _signed(identity: SigningIdentity) -> protocol.Proposal:
    return protocol.build_proposal(
        identity, channel=CHANNEL, chaincode=CHAINCODE, contract="AdminContract",
        function="UpdateSystemParameter", args=["p", "1"], nonce=protocol.new_nonce(),
    )


def test_a_tampered_signature_is_rejected_by_the_gateway(ledger, gateway, pki) -> None:
    identity = ledger.identities[ServiceIdentity.ADMIN]
    channel = grpc.secure_channel(gateway.endpoint, grpc.ssl_channel_credentials(pki.ca_pem))
    stub = gateway_pb2_grpc.GatewayStub(channel)
    good = _signed(identity)
    stub.Endorse(gateway_pb2.EndorseRequest(transaction_id=good.tx_id, channel_id=CHANNEL,
                                            proposed_transaction=good.signed), timeout=5)

    tampered = _signed(identity)
    signature = bytearray(tampered.signed.signature)
    signature[-1] ^= 0x01
    tampered.signed.signature = bytes(signature)
    high_s = _signed(identity)
    r, s = decode_dss_signature(high_s.signed.signature)
    high_s.signed.signature = encode_dss_signature(r, P256_N - s)  # valid ECDSA, but high S
    altered = _signed(identity)
    altered.signed.proposal_bytes = altered.signed.proposal_bytes.replace(b"p", b"q", 1)
    for bad in (tampered, high_s, altered):
        with pytest.raises(grpc.RpcError) as info:
            stub.Endorse(gateway_pb2.EndorseRequest(transaction_id=bad.tx_id, channel_id=CHANNEL,
                                                    proposed_transaction=bad.signed), timeout=5)
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert gateway.servicer.rejected_signatures == 3
    channel.close()


def test_a_key_that_is_not_the_certificates_is_rejected(ledger, gateway) -> None:
    real = ledger.identities[ServiceIdentity.ADMIN]
    # An impostor: the admin's certificate with another key (bypassing from_pem's pairing check).
    ledger.identities[ServiceIdentity.ADMIN] = SigningIdentity(
        MSP_ID, real.cert_pem, ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(TransientFailure) as info:
        ledger.submit(_sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN))
    assert info.value.code == "LEDGER_ACCESS_DENIED" and info.value.counts_as_attempt
    assert gateway.servicer.rejected_signatures == 1


def test_endorsement_rejection_is_a_business_rejection_with_the_chaincode_code(ledger, script) -> None:
    script.reject = lambda v: "INSUFFICIENT_FUNDS: balance 5 < 10" if v.args[:1] == ["poor"] else None
    with pytest.raises(BusinessRejection) as info:
        ledger.submit(_sub("TokenomicsContract", "TransferWithFees", ServiceIdentity.ADMIN,
                           "poor", "b", "10", "", "", ""))
    assert (info.value.code, info.value.message) == ("INSUFFICIENT_FUNDS", "balance 5 < 10")
    with pytest.raises(BusinessRejection):
        ledger.evaluate("TokenomicsContract", "GetBalance", ["poor"])
    assert ledger.evaluate("TokenomicsContract", "GetBalance", ["rich"]) == {
        "function": "GetBalance", "args": ["rich"]}


def test_the_idempotency_argument_carries_the_outbox_id(ledger, gateway) -> None:
    sub = _sub("TokenomicsContract", "TransferWithFees", ServiceIdentity.ADMIN,
               "a", "b", "10", "", "", "")
    ledger.submit(sub)
    assert gateway.servicer.records[-1].args[5] == sub.tx_id


@pytest.mark.parametrize("code", ["MVCC_READ_CONFLICT", "PHANTOM_READ_CONFLICT"])
def test_a_read_conflict_is_transient_and_the_retry_gets_a_new_fabric_id(ledger, script, code) -> None:
    script.commit_codes = [transaction_pb2.TxValidationCode.Value(code)]
    sub = _sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN)
    with pytest.raises(TransientFailure) as info:
        ledger.submit(sub)
    assert info.value.code == code
    burned = ledger.txlog.get(sub.tx_id)
    assert ledger.transaction(sub.tx_id) is None
    committed = ledger.submit(sub)
    assert committed.tx_id != burned.fabric_tx_id or burned.state == "PREPARED"
    assert ledger.transaction(sub.tx_id) == committed


def test_another_invalid_status_is_classified_and_reported(ledger, script) -> None:
    script.commit_codes = [transaction_pb2.TxValidationCode.ENDORSEMENT_POLICY_FAILURE]
    with pytest.raises(BusinessRejection) as info:
        ledger.submit(_sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN))
    assert info.value.code == "TX_ENDORSEMENT_POLICY_FAILURE"


def test_a_resubmission_after_an_unknown_outcome_never_applies_twice(ledger, gateway, chain) -> None:
    sub = _sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN)
    first = ledger.submit(sub)
    with pytest.raises(DuplicateTransaction):
        ledger.submit(sub)  # the log knows it committed
    # Even with the log's state lost (a crash before it was written), the same nonce is reused
    # and the gateway refuses the duplicate Fabric id.
    with db.connection(ledger.txlog.dsn) as conn:
        conn.execute("UPDATE fabric_transactions SET state = 'SUBMITTED' WHERE tx_id = %s", (sub.tx_id,))
    with pytest.raises(DuplicateTransaction):
        ledger.submit(sub)
    assert ledger.transaction(sub.tx_id) == first
    assert sum(1 for r in gateway.servicer.records if r.tx_id == first.tx_id) == 1
    assert sum(len(chain.events(n)) for n in range(len(chain.blocks))) == 1


def test_the_breaker_fails_fast_without_counting_while_the_peer_is_down(ledger, gateway) -> None:
    gateway.stop()
    failures = []
    for _ in range(4):
        with pytest.raises(TransientFailure) as info:
            ledger.height()
        failures.append(info.value)
    assert failures[0].code == "LEDGER_UNAVAILABLE" and failures[0].counts_as_attempt
    assert failures[-1].code == "LEDGER_CIRCUIT_OPEN" and not failures[-1].counts_as_attempt
    gateway.start()
    time.sleep(0.6)  # the breaker's reset time: one trial call goes through
    assert ledger.height() == 0
    assert ledger.breaker.state == "closed"


def test_batches_commit_several_transactions_per_block_with_consistent_positions(ledger) -> None:
    subs = [_sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN, f"p{i}", "1")
            for i in range(12)]
    outcomes = ledger.submit_batch(subs)
    assert all(isinstance(o, Committed) for o in outcomes)
    events = list(ledger.events())
    assert [(e.block_number, e.tx_index, e.tx_id) for e in events] == sorted(
        (o.block_number, o.tx_index, o.tx_id) for o in outcomes)
    assert any(o.tx_index > 0 for o in outcomes)  # several transactions in one block
    assert ledger.height() == max(o.block_number for o in outcomes)
    middle = events[5]
    assert list(ledger.events(after=middle.position)) == events[6:]
    assert list(ledger.events(after=middle.position, limit=2)) == events[6:8]


def test_an_unknown_outcome_is_resolved_by_lookup_and_a_resubmission_reuses_the_fabric_id(
    pki, issued, script
) -> None:
    from tests.integration.fabric.conftest import FAST, make_ledger
    from tests.integration.fabric.gateway import Chain, GatewayServer

    slow = Chain(CHAINCODE, block_wait_s=1.0)  # the orderer cuts a block only every second
    server = GatewayServer(pki, slow, script, CHANNEL)
    server.start()
    impatient = make_ledger(server, issued, pki, settings=FAST.model_copy(
        update={"commit_timeout_s": 0.2, "lookup_timeout_s": 0.2}))
    try:
        sub = _sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN)
        with pytest.raises(TransientFailure) as info:
            impatient.submit(sub)  # sent, but the commit wait times out: outcome unknown
        assert info.value.code == "LEDGER_DEADLINE_EXCEEDED"
        assert impatient.breaker.state == "closed"  # a slow commit is not a dead peer
        fabric_id = impatient.txlog.get(sub.tx_id).fabric_tx_id
        assert impatient.transaction(sub.tx_id) is None  # not committed yet
        patient = make_ledger(server, issued, pki)
        # the resubmission carries the same Fabric id: the orderer gets two copies, the second
        # is invalidated as DUPLICATE_TXID, and the id's commit status is the first copy's
        committed = patient.submit(sub)
        assert committed.tx_id == fabric_id
        assert patient.transaction(sub.tx_id) == committed
        assert sum(len(slow.events(n)) for n in range(len(slow.blocks))) == 1
        flags = [f for b in slow.blocks[1:] for f in b.metadata.metadata[2]]
        assert sorted(flags) == [transaction_pb2.TxValidationCode.VALID,
                                 transaction_pb2.TxValidationCode.DUPLICATE_TXID]
        patient.close()
    finally:
        impatient.close()
        server.stop()
        slow.close()


def test_a_renewed_certificate_gets_a_new_fabric_id_only_when_the_old_one_is_not_committed(
    ledger, pki, gateway
) -> None:
    sub = _sub("AdminContract", "UpdateSystemParameter", ServiceIdentity.ADMIN)
    old = ledger.identities[ServiceIdentity.ADMIN]
    ledger.txlog.reserve(sub.tx_id, old.creator)
    ledger.txlog.mark(sub.tx_id, ledger.txlog.get(sub.tx_id).fabric_tx_id, "SUBMITTED")
    renewed = pki.issue("gx_admin-renewed", role=ServiceIdentity.ADMIN.value)
    ledger.identities[ServiceIdentity.ADMIN] = SigningIdentity.from_pem(
        MSP_ID, renewed.cert_pem, renewed.key_pem)
    committed = ledger.submit(sub)  # the old id was never committed: a new one is safe
    assert committed.tx_id != ledger.txlog.get(sub.tx_id).nonce.hex()
    assert gateway.servicer.records[-1].tx_id == committed.tx_id
    # and once committed, even another renewal never sends it again
    again = pki.issue("gx_admin-renewed-2", role=ServiceIdentity.ADMIN.value)
    ledger.identities[ServiceIdentity.ADMIN] = SigningIdentity.from_pem(
        MSP_ID, again.cert_pem, again.key_pem)
    with pytest.raises(DuplicateTransaction):
        ledger.submit(sub)
    assert ledger.transaction(sub.tx_id) == committed
