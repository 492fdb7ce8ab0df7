"""The server's own certificate authority and the TLS certificate of its gRPC endpoint.

At first start the server creates ``pki/ca.pem`` (a self-signed CA) and ``pki/server.pem``
signed by it. Agents trust ``ca.pem``; copy it to each host, or replace both files with
certificates of your own (the key files must stay mode 0600).
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from controlplane.secrets_store import write_private_file

logger = logging.getLogger(__name__)

VALIDITY = datetime.timedelta(days=3650)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _subject_names(names: list[str]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in dict.fromkeys(names):
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            result.append(x509.DNSName(name))
    return result


def ensure_server_certificates(pki_dir: Path, names: list[str]) -> tuple[bytes, bytes, bytes]:
    """Return (CA certificate, server certificate, server key) PEM, creating them at first start."""
    ca_cert_path, ca_key_path = pki_dir / "ca.pem", pki_dir / "ca.key"
    cert_path, key_path = pki_dir / "server.pem", pki_dir / "server.key"
    if not ca_cert_path.exists():
        _create_ca(ca_cert_path, ca_key_path)
    if not cert_path.exists():
        _create_server_certificate(ca_cert_path, ca_key_path, cert_path, key_path, names)
    return ca_cert_path.read_bytes(), cert_path.read_bytes(), key_path.read_bytes()


def _create_ca(cert_path: Path, key_path: Path) -> None:
    key = _new_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stackyard CA")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    write_private_file(key_path, _key_pem(key))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    logger.info("created certificate authority %s", cert_path)


def _create_server_certificate(ca_cert_path: Path, ca_key_path: Path, cert_path: Path, key_path: Path, names: list[str]) -> None:
    ca_certificate = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    key = _new_key()
    all_names = ["localhost", "127.0.0.1", *names]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, all_names[0])]))
        .issuer_name(ca_certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_now() - datetime.timedelta(minutes=5))
        .not_valid_after(_now() + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(_subject_names(all_names)), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_private_file(key_path, _key_pem(key))
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    logger.info("created gRPC server certificate %s for %s", cert_path, ", ".join(all_names))
