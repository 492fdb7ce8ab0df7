"""The agents' gRPC endpoint: TLS from the server's own CA, one-time enrolment and host credentials.

A real server process serves the endpoint; the test talks to it with the generated stubs, the
way an agent or an attacker on the network would.
"""

from __future__ import annotations

import datetime
import os
import stat
import time

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stackyard.v1 import agent_pb2, agent_pb2_grpc
from tests.support.processes import AgentProcess

pytestmark = pytest.mark.e2e

TIMEOUT = 10


def _channel(server, ca_pem: bytes | None = None) -> grpc.Channel:
    target = f"127.0.0.1:{server.grpc_port}"
    if ca_pem is None:
        ca_pem = (server.home / "pki" / "ca.pem").read_bytes()
    return grpc.secure_channel(target, grpc.ssl_channel_credentials(root_certificates=ca_pem))


def _registration_token(server) -> str:
    return server.client().post("/hosts/registration-tokens")["token"]


def _enroll(server, hostname: str, token: str) -> str:
    with _channel(server) as channel:
        response = agent_pb2_grpc.AgentServiceStub(channel).Enroll(agent_pb2.EnrollRequest(hostname=hostname, registration_token=token), timeout=TIMEOUT)
    return response.host_credential


def _connect(server, register_hostname: str, metadata: list[tuple[str, str]]) -> agent_pb2.ServerMessage:
    """Open Connect, send Register and return the server's first message (or raise grpc.RpcError)."""
    with _channel(server) as channel:
        stub = agent_pb2_grpc.AgentServiceStub(channel)
        register = agent_pb2.AgentMessage(register=agent_pb2.Register(hostname=register_hostname, boot_id=os.urandom(8).hex(), agent_version="test"))
        responses = stub.Connect(iter([register]), metadata=metadata, timeout=TIMEOUT)
        return next(responses)


def _other_ca() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not the Stackyard CA")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_pki_created_at_first_start(server):
    pki = server.home / "pki"
    ca = x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())
    certificate = x509.load_pem_x509_certificate((pki / "server.pem").read_bytes())
    assert certificate.issuer == ca.subject
    ca.public_key().verify(certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(certificate.signature_hash_algorithm))
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((pki / key).stat().st_mode) == 0o600, key


def test_plaintext_connection_fails(server):
    with grpc.insecure_channel(f"127.0.0.1:{server.grpc_port}") as channel:
        with pytest.raises(grpc.RpcError) as raised:
            agent_pb2_grpc.AgentServiceStub(channel).Enroll(agent_pb2.EnrollRequest(hostname="plain", registration_token="x"), timeout=TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def test_untrusted_ca_fails(server):
    with _channel(server, ca_pem=_other_ca()) as channel:
        with pytest.raises(grpc.RpcError) as raised:
            agent_pb2_grpc.AgentServiceStub(channel).Enroll(agent_pb2.EnrollRequest(hostname="mitm", registration_token="x"), timeout=TIMEOUT)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE


def test_registration_token_works_once(server):
    token = _registration_token(server)
    credential = _enroll(server, "node-a", token)
    assert len(credential) >= 32

    with pytest.raises(grpc.RpcError) as raised:
        _enroll(server, "node-b", token)
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "already used" in raised.value.details()

    with pytest.raises(grpc.RpcError) as raised:
        _enroll(server, "node-c", "made-up-token")
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_stream_needs_own_credential(server):
    credential_a = _enroll(server, "node-a", _registration_token(server))
    _enroll(server, "node-b", _registration_token(server))

    cases = {
        "no metadata": ("node-a", []),
        "no credential": ("node-a", [("x-stackyard-hostname", "node-a")]),
        "wrong credential": ("node-a", [("x-stackyard-hostname", "node-a"), ("x-stackyard-credential", "guess")]),
        "credential of node-a for node-b": ("node-b", [("x-stackyard-hostname", "node-b"), ("x-stackyard-credential", credential_a)]),
        "metadata node-a, Register node-b": ("node-b", [("x-stackyard-hostname", "node-a"), ("x-stackyard-credential", credential_a)]),
        "never enrolled host": ("node-z", [("x-stackyard-hostname", "node-z"), ("x-stackyard-credential", credential_a)]),
    }
    for case, (hostname, metadata) in cases.items():
        with pytest.raises(grpc.RpcError) as raised:
            _connect(server, hostname, metadata)
        assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED, case

    hostnames = [host["hostname"] for host in server.client().get("/hosts")]
    assert hostnames == [], "a rejected stream must not register a host"

    first = _connect(server, "node-a", [("x-stackyard-hostname", "node-a"), ("x-stackyard-credential", credential_a)])
    assert first.HasField("registered")


def test_agent_with_used_token_stays_out(server, tmp_path):
    token = _registration_token(server)
    first = AgentProcess(server=server, home=tmp_path / "first", hostname="agent-one").start(registration_token=token)
    second = AgentProcess(server=server, home=tmp_path / "second", hostname="agent-two").start(registration_token=token, wait=False)
    try:
        deadline = time.monotonic() + 20
        while "already used" not in second.log_path.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "already used" in second.log_path.read_text()
        hosts = {host["hostname"]: host["agent_state"] for host in server.client().get("/hosts")}
        assert hosts == {"agent-one": "CONNECTED"}
        assert not (tmp_path / "second" / "host_credential").exists()
        credential = tmp_path / "first" / "host_credential"
        assert stat.S_IMODE(credential.stat().st_mode) == 0o600
    finally:
        second.stop()
        first.stop()
