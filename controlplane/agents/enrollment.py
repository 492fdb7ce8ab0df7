"""Agent enrolment: a one-time registration token buys a credential bound to one hostname.

Every later stream must present that hostname and credential in its metadata
(``x-stackyard-hostname``, ``x-stackyard-credential``); a stream without them, or with the
credential of another host, is rejected.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from controlplane.db import database
from controlplane.models import AgentCredential, RegistrationToken, utcnow
from controlplane.secrets_store import new_token
from stackyard.v1 import agent_pb2

logger = logging.getLogger(__name__)

REGISTRATION_TOKEN_LIFETIME = timedelta(hours=24)


class EnrollmentError(Exception):
    pass


def create_registration_token(context, created_by: str) -> tuple[str, RegistrationToken]:
    token = new_token()
    record = RegistrationToken.create(
        token_hash=context.keys.hash_token(token),
        created_by=created_by,
        expires_at=utcnow() + REGISTRATION_TOKEN_LIFETIME,
    )
    return token, record


def enroll(context, request: agent_pb2.EnrollRequest) -> agent_pb2.EnrollResponse:
    hostname = request.hostname.strip()
    if not hostname:
        raise EnrollmentError("hostname is missing")
    with database.connection_context():
        with database.atomic():
            record = RegistrationToken.get_or_none(RegistrationToken.token_hash == context.keys.hash_token(request.registration_token))
            if record is None or record.used_by is not None:
                raise EnrollmentError("registration token is unknown or already used; create a new one")
            if record.expires_at <= utcnow():
                raise EnrollmentError("registration token has expired; create a new one")
            record.used_by = hostname
            record.save()

            credential = new_token()
            AgentCredential.delete().where(AgentCredential.hostname == hostname).execute()
            AgentCredential.create(hostname=hostname, credential_hash=context.keys.hash_token(credential))
    logger.info("host %s enrolled with a registration token created by %s", hostname, record.created_by)
    ca_pem = (context.config.pki_dir / "ca.pem").read_bytes() if (context.config.pki_dir / "ca.pem").exists() else b""
    return agent_pb2.EnrollResponse(host_credential=credential, ca_certificate_pem=ca_pem)


def check_credential(context, hostname: str, metadata: dict) -> str | None:
    """Return why a stream for ``hostname`` is rejected, or None when its credential is valid."""
    if metadata.get("x-stackyard-hostname") != hostname:
        return "the hostname in the stream metadata does not match the Register message"
    credential = metadata.get("x-stackyard-credential", "")
    if not credential:
        return "no host credential: enrol the agent with a registration token first"
    with database.connection_context():
        record = AgentCredential.get_or_none(AgentCredential.hostname == hostname)
    if record is None or record.credential_hash != context.keys.hash_token(credential):
        return f"invalid credential for host {hostname}"
    return None
