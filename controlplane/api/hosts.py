"""Hosts: listed as their agents register; registration tokens for enrolling new agents."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.agents.enrollment import create_registration_token
from controlplane.api.schemas import HostSchema, RegistrationTokenSchema
from controlplane.auth.policy import requires
from controlplane.context import server_context
from controlplane.errors import ConflictError, NotFoundError
from controlplane.models import Host, HostComponent, Service

URL_PREFIX = "/hosts"
blp = Blueprint("hosts", __name__, description="Hosts and the agents running on them")


def host_view(host: Host) -> dict:
    components = [
        {"service": item.service.name, "component": item.component, "state": item.state, "live_status": item.live_status}
        for item in HostComponent.select(HostComponent, Service).join(Service).where(HostComponent.host == host).order_by(Service.name, HostComponent.component)
    ]
    return {
        "id": host.id,
        "hostname": host.hostname,
        "ip_address": host.ip_address,
        "cluster": host.cluster.name if host.cluster_id else None,
        "os_family": host.os_family,
        "os_release": host.os_release,
        "cpu_count": host.cpu_count,
        "memory_bytes": host.memory_bytes,
        "agent_state": host.agent_state,
        "agent_version": host.agent_version,
        "last_heartbeat_at": host.last_heartbeat_at,
        "metrics": host.metrics or {},
        "components": components,
    }


def get_host(hostname: str) -> Host:
    host = Host.get_or_none(Host.hostname == hostname)
    if host is None:
        raise NotFoundError(f"host {hostname!r} is not registered; start a Stackyard agent on it")
    return host


@blp.route("")
class Hosts(MethodView):
    @requires("viewer")
    @blp.response(200, HostSchema(many=True))
    def get(self):
        """List registered hosts with their cluster, agent state, last heartbeat and components."""
        return [host_view(host) for host in Host.select().order_by(Host.hostname)]


@blp.route("/<string:hostname>")
class HostByName(MethodView):
    @requires("viewer")
    @blp.response(200, HostSchema)
    def get(self, hostname):
        """Get one host."""
        return host_view(get_host(hostname))

    @requires("operator")
    @blp.response(204)
    @blp.alt_response(409, description="The host is in a cluster or its agent is connected")
    def delete(self, hostname):
        """Forget a host whose agent is gone; it must not be in a cluster."""
        host = get_host(hostname)
        if host.cluster_id is not None:
            raise ConflictError(f"host {hostname!r} is in cluster {host.cluster.name!r}; detach it first")
        if server_context().agents.get(hostname) is not None:
            raise ConflictError(f"the agent on host {hostname!r} is connected; stop it first")
        host.delete_instance(recursive=True)


@blp.route("/registration-tokens")
class RegistrationTokens(MethodView):
    @requires("operator")
    @blp.response(201, RegistrationTokenSchema)
    def post(self):
        """Create a one-time token an agent uses to enrol (valid for 24 hours)."""
        token, record = create_registration_token(server_context(), g.user.username)
        return {"token": token, "expires_at": record.expires_at}
