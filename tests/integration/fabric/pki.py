"""A throwaway PKI for the Fabric tests: a CA, the gateway's TLS certificate and one ECDSA P-256
identity per role, with the role in the Fabric CA attribute extension (`gxc_role`), as a Fabric
CA enrolment with attributes would issue it."""

from __future__ import annotations

import datetime
import ipaddress
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.chain.port import ServiceIdentity

#: Fabric CA's attribute extension OID.
ATTRS_OID = x509.ObjectIdentifier("1.2.3.4.5.6.7.8.1")
MSP_ID = "GXOrgMSP"


@dataclass(frozen=True)
class Issued:
    cert_pem: bytes
    key_pem: bytes


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class TestPKI:
    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gx-test-ca")])
        now = datetime.datetime.now(datetime.UTC)
        self.ca_cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.ca_key, hashes.SHA256())
        )
        self.ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, *, role: str | None = None, server: bool = False,
              key: ec.EllipticCurvePrivateKey | None = None, expired: bool = False) -> Issued:
        key = key or ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(now + datetime.timedelta(days=-1 if expired else 30))
        )
        if server:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                             x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        if role is not None:
            attrs = json.dumps({"attrs": {"gxc_role": role}}).encode()
            builder = builder.add_extension(x509.UnrecognizedExtension(ATTRS_OID, attrs), critical=False)
        cert = builder.sign(self.ca_key, hashes.SHA256())
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))

    def identities(self) -> dict[ServiceIdentity, Issued]:
        return {i: self.issue(f"{i.value}-client", role=i.value) for i in ServiceIdentity}

    def write(self, directory: Path, identities: dict[ServiceIdentity, Issued]) -> dict[str, str]:
        """PEM files in `directory`; the GX_FABRIC_* path settings naming them."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ca.pem").write_bytes(self.ca_pem)
        env = {"GX_FABRIC_TLS_CA_PATH": str(directory / "ca.pem")}
        prefixes = {ServiceIdentity.SUPER_ADMIN: "SUPER_ADMIN", ServiceIdentity.ADMIN: "ADMIN",
                    ServiceIdentity.PARTNER_API: "PARTNER_API"}
        for identity, issued in identities.items():
            prefix = prefixes[identity]
            (directory / f"{identity.value}.pem").write_bytes(issued.cert_pem)
            (directory / f"{identity.value}.key").write_bytes(issued.key_pem)
            env[f"GX_FABRIC_{prefix}_CERT_PATH"] = str(directory / f"{identity.value}.pem")
            env[f"GX_FABRIC_{prefix}_KEY_PATH"] = str(directory / f"{identity.value}.key")
        return env


def role_of(cert: x509.Certificate) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(ATTRS_OID)
    except x509.ExtensionNotFound:
        return None
    value = ext.value
    data = value.value if isinstance(value, x509.UnrecognizedExtension) else b""
    return json.loads(data).get("attrs", {}).get("gxc_role")
