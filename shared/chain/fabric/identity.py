"""Signing identities: an X.509 certificate and its ECDSA P-256 key, one per chaincode role.

Fabric verifies ECDSA signatures over SHA-256 and rejects high-S signatures (an (r, s) and its
(r, n - s) twin are both valid ECDSA, which would make signatures malleable), so every signature is
normalised to low S before it is DER-encoded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from shared.chain.fabric.pb import identities_pb2

#: The order of the P-256 group.
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class IdentityError(ValueError):
    """A certificate or key that cannot act as a Fabric identity."""


def low_s(signature: bytes) -> bytes:
    """The DER signature with S replaced by n - S when S is in the upper half of the group."""
    r, s = decode_dss_signature(signature)
    if s > P256_N // 2:
        s = P256_N - s
    return encode_dss_signature(r, s)


def is_low_s(signature: bytes) -> bool:
    return decode_dss_signature(signature)[1] <= P256_N // 2


@dataclass(frozen=True)
class SigningIdentity:
    msp_id: str
    cert_pem: bytes
    key: ec.EllipticCurvePrivateKey = field(repr=False)

    @classmethod
    def from_pem(cls, msp_id: str, cert_pem: bytes, key_pem: bytes) -> SigningIdentity:
        try:
            cert = x509.load_pem_x509_certificate(cert_pem)
        except ValueError as exc:
            raise IdentityError(f"not an X.509 PEM certificate: {exc}") from None
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise IdentityError(f"not an unencrypted PEM private key: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise IdentityError("the private key is not an ECDSA P-256 key")
        if cert.public_key() != key.public_key():
            raise IdentityError("the private key does not belong to the certificate")
        if cert.not_valid_after_utc <= datetime.now(UTC):
            raise IdentityError(f"the certificate expired on {cert.not_valid_after_utc.isoformat()}")
        return cls(msp_id, cert_pem, key)

    @property
    def creator(self) -> bytes:
        """The serialized identity Fabric puts in headers and requests (msp.SerializedIdentity)."""
        return bytes(
            identities_pb2.SerializedIdentity(mspid=self.msp_id, id_bytes=self.cert_pem).SerializeToString()
        )

    def sign(self, message: bytes) -> bytes:
        return low_s(self.key.sign(message, ec.ECDSA(hashes.SHA256())))


def transaction_id(nonce: bytes, creator: bytes) -> str:
    """Fabric's transaction id: hex SHA-256 of nonce || serialized creator."""
    return hashlib.sha256(nonce + creator).hexdigest()


def verify(creator: bytes, message: bytes, signature: bytes) -> x509.Certificate:
    """Check `signature` by the identity `creator` over `message`; its certificate, or raise
    InvalidSignature (also for a high-S signature, which Fabric rejects)."""
    identity = identities_pb2.SerializedIdentity.FromString(creator)
    cert = x509.load_pem_x509_certificate(identity.id_bytes)
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise InvalidSignature("not an ECDSA identity")
    try:
        if not is_low_s(signature):
            raise InvalidSignature("high-S signature")
    except ValueError:
        raise InvalidSignature("malformed signature") from None
    public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    return cert
