"""Exchange of a one-time registration token for a host credential (the Enroll call)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from agent.config import AgentConfig
from agent.errors import EnrollError
from agent.files import write_atomically
from stackyard.v1 import agent_pb2, agent_pb2_grpc

logger = logging.getLogger(__name__)

ENROLL_TIMEOUT_SECONDS = 30.0


def _write_private(path: Path, data: bytes) -> None:
    write_atomically(path, data.decode("ascii"), mode=0o600)


def _make_csr(hostname: str, key_path: Path) -> bytes:
    """Create a private key in ``key_path`` and return a PEM CSR whose common name is ``hostname``."""
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(key_path, key_pem)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(subject)
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM)


async def enroll(channel: grpc.aio.Channel, config: AgentConfig) -> None:
    """Call Enroll with the registration token and store the host credential (mode 0600)."""
    assert config.credential_file is not None and config.registration_token
    csr_pem = _make_csr(config.hostname, config.home / "host.key")
    stub = agent_pb2_grpc.AgentServiceStub(channel)
    request = agent_pb2.EnrollRequest(
        hostname=config.hostname,
        registration_token=config.registration_token,
        csr_pem=csr_pem,
    )
    try:
        response = await stub.Enroll(request, timeout=ENROLL_TIMEOUT_SECONDS)
    except grpc.aio.AioRpcError as error:
        raise EnrollError(
            f"enrolment of host {config.hostname} failed: {error.code().name} {error.details()}; "
            "check the registration token, or create a new one on the server"
        ) from error
    if not response.host_credential:
        raise EnrollError(
            f"enrolment of host {config.hostname} failed: the server returned no host credential"
        )

    if response.certificate_pem:
        write_atomically(
            config.home / "host.crt",
            response.certificate_pem.decode("ascii", errors="replace"),
        )
    if response.ca_certificate_pem:
        write_atomically(
            config.home / "ca.crt",
            response.ca_certificate_pem.decode("ascii", errors="replace"),
        )
    _write_private(
        config.credential_file,
        response.host_credential.encode("ascii", errors="replace"),
    )
    logger.info(
        "host %s enrolled; credential stored in %s",
        config.hostname,
        config.credential_file,
    )


def read_credential(path: Path | None) -> str | None:
    """Return the stored host credential, or None when there is none."""
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip() or None
    except FileNotFoundError:
        return None
    except OSError as error:
        logger.error("cannot read host credential %s: %s", path, error)
        return None


def credential_exists(path: Path | None) -> bool:
    return path is not None and os.path.isfile(path)
