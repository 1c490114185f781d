"""Signatures are low-S and verify; Fabric tx ids come from nonce + creator; proposals round-trip."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.chain.fabric import protocol
from shared.chain.fabric.identity import (
    P256_N,
    SigningIdentity,
    is_low_s,
    low_s,
    transaction_id,
    verify,
)
from tests.integration.fabric.pki import MSP_ID, TestPKI

_PKI = TestPKI()
_ISSUED = _PKI.issue("signer", role="gx_admin")
IDENTITY = SigningIdentity.from_pem(MSP_ID, _ISSUED.cert_pem, _ISSUED.key_pem)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=256))
def test_every_signature_is_low_s_and_verifies(message: bytes) -> None:
    signature = IDENTITY.sign(message)
    assert decode_dss_signature(signature)[1] <= P256_N // 2
    assert verify(IDENTITY.creator, message, signature).public_bytes is not None


def test_low_s_normalises_a_high_s_signature_to_its_valid_twin() -> None:
    r, s = decode_dss_signature(IDENTITY.key.sign(b"m", ec.ECDSA(hashes.SHA256())))
    high = encode_dss_signature(r, s if s > P256_N // 2 else P256_N - s)
    assert not is_low_s(high)
    normal = low_s(high)
    assert is_low_s(normal) and decode_dss_signature(normal) == (r, min(s, P256_N - s))
    verify(IDENTITY.creator, b"m", normal)


def test_the_transaction_id_is_sha256_of_nonce_and_creator() -> None:
    nonce = bytes(range(24))
    proposal = protocol.build_proposal(
        IDENTITY, channel="gxchannel", chaincode="gxtv3", contract="TokenomicsContract",
        function="TransferWithFees", args=["a", "b", "10"], nonce=nonce,
    )
    assert proposal.tx_id == hashlib.sha256(nonce + IDENTITY.creator).hexdigest()
    assert proposal.tx_id == transaction_id(nonce, IDENTITY.creator)
    view = protocol.read_proposal(proposal.signed)
    assert (view.contract, view.function, view.args) == ("TokenomicsContract", "TransferWithFees",
                                                         ["a", "b", "10"])
    assert (view.channel, view.chaincode, view.nonce, view.tx_id) == ("gxchannel", "gxtv3", nonce,
                                                                      proposal.tx_id)
    verify(view.creator, proposal.signed.proposal_bytes, proposal.signed.signature)
    # the same nonce and creator always give the same id: what makes a resubmission a duplicate
    again = protocol.build_proposal(
        IDENTITY, channel="gxchannel", chaincode="gxtv3", contract="TokenomicsContract",
        function="TransferWithFees", args=["a", "b", "10"], nonce=nonce,
    )
    assert again.tx_id == proposal.tx_id


def test_the_endorsed_envelope_yields_the_chaincode_result() -> None:
    proposal = protocol.build_proposal(
        IDENTITY, channel="c", chaincode="gxtv3", contract="X", function="Y", args=[],
        nonce=protocol.new_nonce(),
    )
    envelope = protocol.endorsed_envelope(protocol.read_proposal(proposal.signed),
                                          result=b'{"ok": true}', event=None)
    signed = protocol.sign_envelope(IDENTITY, envelope)
    view = protocol.read_envelope(signed)
    assert (view.tx_id, view.creator, protocol.decode_json(view.result)) == (
        proposal.tx_id, IDENTITY.creator, {"ok": True})
    verify(view.creator, signed.payload, signed.signature)
