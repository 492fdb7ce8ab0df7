"""Clusters: create, list, get, update, delete when empty, attach and detach hosts, inventory."""

from __future__ import annotations

import logging

from flask import Response, g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.api.schemas import ClusterActionSchema, ClusterCreateSchema, ClusterSchema, ClusterUpdateSchema, HostNamesSchema, JobSchema, RepositoriesSchema
from controlplane.auth.policy import requires
from controlplane.context import server_context
from controlplane.db import database
from controlplane.errors import BadRequestError, ConflictError, NotFoundError
from controlplane.hostnames import expand_hosts
from controlplane.inventory import build_inventory
from controlplane.jobs import requests
from controlplane.jobs.planner import create_job
from controlplane.models import Cluster, Host, HostComponent, Job, Repository, Service
from controlplane.stacks import version_key
from stackyard.unsafe_yaml import dump_unsafe_yaml

logger = logging.getLogger(__name__)

URL_PREFIX = "/clusters"
blp = Blueprint("clusters", __name__, description="Clusters and the hosts in them")


def get_cluster(name: str) -> Cluster:
    cluster = Cluster.get_or_none(Cluster.name == name)
    if cluster is None:
        raise NotFoundError(f"cluster {name!r} not found; GET /api/v1/clusters lists them")
    return cluster


def cluster_health(cluster: Cluster) -> dict:
    hosts = list(cluster.hosts)
    components = list(HostComponent.select().join(Service).where(Service.cluster == cluster))
    servers_running = sum(1 for item in components if item.live_status == "RUNNING")
    servers_stopped = sum(1 for item in components if item.live_status == "STOPPED")
    return {
        "hosts": len(hosts),
        "hosts_connected": sum(1 for host in hosts if host.agent_state == "CONNECTED"),
        "components_running": servers_running,
        "components_stopped": servers_stopped,
        "jobs_running": Job.select().where((Job.cluster == cluster) & (Job.state == "RUNNING")).count(),
    }


def cluster_view(cluster: Cluster) -> dict:
    return {
        "id": cluster.id,
        "name": cluster.name,
        "description": cluster.description,
        "stack_name": cluster.stack_name,
        "stack_version": cluster.stack_version,
        "root_dir": cluster.root_dir,
        "user_group": cluster.user_group,
        "created_at": cluster.created_at,
        "hosts": sorted(host.hostname for host in cluster.hosts),
        "services": sorted(service.name for service in cluster.services),
        "health": cluster_health(cluster),
    }


def attach_hosts(cluster: Cluster, hostnames: list[str]) -> None:
    """Attach registered hosts to ``cluster``; 404 for an unknown host, 409 for one in another cluster."""
    for name in hostnames:
        host = Host.get_or_none(Host.hostname == name)
        if host is None:
            raise NotFoundError(f"host {name!r} is not registered: start a Stackyard agent on it first", field="hosts")
        if host.cluster_id is not None and host.cluster_id != cluster.id:
            raise ConflictError(f"host {name!r} already belongs to cluster {host.cluster.name!r}; a host belongs to at most one cluster", field="hosts")
        host.cluster = cluster
        host.save()


@blp.route("")
class Clusters(MethodView):
    @requires("viewer")
    @blp.response(200, ClusterSchema(many=True))
    def get(self):
        """List clusters with their health at a glance."""
        return [cluster_view(cluster) for cluster in Cluster.select().order_by(Cluster.name)]

    @requires("operator")
    @blp.arguments(ClusterCreateSchema)
    @blp.response(201, ClusterSchema)
    @blp.alt_response(409, description="The name is taken or a host is in another cluster")
    def post(self, body):
        """Create a cluster, optionally with hosts (names or patterns such as node-0[1-3])."""
        catalogue = server_context().catalogue
        if body["stack_version"] is None:
            versions = [version for stack_name, version in catalogue.stacks if stack_name == body["stack_name"]]
            body["stack_version"] = max(versions, key=version_key) if versions else ""
        if (body["stack_name"], body["stack_version"]) not in catalogue.stacks:
            known = ", ".join(f"{name}/{version}" for name, version in sorted(catalogue.stacks))
            raise BadRequestError(f"stack {body['stack_name']}/{body['stack_version']} is not in the catalogue; known stacks: {known}", field="stack_name")
        if Cluster.get_or_none(Cluster.name == body["name"]) is not None:
            raise ConflictError(f"cluster {body['name']!r} already exists; choose another name", field="name")
        hostnames = expand_hosts(body["hosts"])

        with database.atomic():
            cluster = Cluster.create(
                name=body["name"],
                description=body["description"],
                stack_name=body["stack_name"],
                stack_version=body["stack_version"],
                root_dir=body["root_dir"],
                user_group=body["user_group"],
            )
            attach_hosts(cluster, hostnames)
        logger.info("cluster %s created by %s with hosts %s", cluster.name, g.user.username, hostnames)
        return cluster_view(cluster)


@blp.route("/<string:name>")
class ClusterByName(MethodView):
    @requires("viewer")
    @blp.response(200, ClusterSchema)
    def get(self, name):
        """Get a cluster."""
        return cluster_view(get_cluster(name))

    @requires("operator")
    @blp.arguments(ClusterUpdateSchema)
    @blp.response(200, ClusterSchema)
    def patch(self, body, name):
        """Change a cluster's description, root directory or service user group."""
        cluster = get_cluster(name)
        moved = [key for key in ("root_dir", "user_group") if key in body and body[key] != getattr(cluster, key)]
        if moved and cluster.services.count():
            raise ConflictError(
                f"{moved[0]} cannot change while cluster {name!r} has services, because they run from the old value; remove the services first",
                field=moved[0],
            )
        for key, value in body.items():
            setattr(cluster, key, value)
        cluster.save()
        return cluster_view(cluster)

    @requires("operator")
    @blp.response(204)
    @blp.alt_response(409, description="The cluster still has services or hosts")
    def delete(self, name):
        """Delete an empty cluster: remove its services and detach its hosts first."""
        cluster = get_cluster(name)
        if cluster.services.count():
            raise ConflictError(f"cluster {name!r} still has services {sorted(s.name for s in cluster.services)}; remove them first")
        if cluster.hosts.count():
            raise ConflictError(f"cluster {name!r} still has hosts {sorted(h.hostname for h in cluster.hosts)}; detach them first")
        if Job.select().where((Job.cluster == cluster) & (Job.state.in_(["PENDING", "RUNNING"]))).count():
            raise ConflictError(f"cluster {name!r} has unfinished jobs; wait for them or cancel them")
        cluster.delete_instance(recursive=True)


@blp.route("/<string:name>/hosts")
class ClusterHosts(MethodView):
    @requires("operator")
    @blp.arguments(HostNamesSchema)
    @blp.response(200, ClusterSchema)
    def post(self, body, name):
        """Attach registered hosts to the cluster."""
        cluster = get_cluster(name)
        hostnames = expand_hosts(body["hosts"])
        with database.atomic():
            attach_hosts(cluster, hostnames)
        return cluster_view(cluster)


@blp.route("/<string:name>/hosts/<string:hostname>")
class ClusterHost(MethodView):
    @requires("operator")
    @blp.response(204)
    @blp.alt_response(409, description="Components are still placed on the host")
    def delete(self, name, hostname):
        """Detach a host from the cluster; it must hold no components."""
        cluster = get_cluster(name)
        host = Host.get_or_none((Host.hostname == hostname) & (Host.cluster == cluster))
        if host is None:
            raise NotFoundError(f"host {hostname!r} is not in cluster {name!r}")
        placed = [f"{item.service.name}/{item.component}" for item in host.host_components]
        if placed:
            raise ConflictError(f"host {hostname!r} still runs components {placed}; remove them first")
        host.cluster = None
        host.save()


@blp.route("/<string:name>/repositories")
class ClusterRepositories(MethodView):
    @requires("viewer")
    @blp.response(200, RepositoriesSchema)
    def get(self, name):
        """List the package repositories roles configure before installing."""
        cluster = get_cluster(name)
        return {"repositories": [_repository_view(item) for item in cluster.repositories.order_by(Repository.name)]}

    @requires("operator")
    @blp.arguments(RepositoriesSchema)
    @blp.response(200, RepositoriesSchema)
    def put(self, body, name):
        """Replace the cluster's package repositories."""
        cluster = get_cluster(name)
        names = [item["name"] for item in body["repositories"]]
        if len(set(names)) != len(names):
            raise BadRequestError("repositories: each name may appear once", field="repositories")
        with database.atomic():
            Repository.delete().where(Repository.cluster == cluster).execute()
            for item in body["repositories"]:
                Repository.create(cluster=cluster, **item)
        return {"repositories": [_repository_view(item) for item in cluster.repositories.order_by(Repository.name)]}


def _repository_view(repository: Repository) -> dict:
    return {
        "name": repository.name,
        "kind": repository.kind,
        "url": repository.url,
        "distribution": repository.distribution,
        "gpg_key_url": repository.gpg_key_url,
    }


@blp.route("/<string:name>/inventory")
class ClusterInventory(MethodView):
    @requires("viewer")
    @blp.response(200, content_type="application/yaml", description="Ansible YAML inventory")
    def get(self, name):
        """Export the cluster as an Ansible YAML inventory: a group per component, config as group variables."""
        cluster = get_cluster(name)
        document = build_inventory(cluster, server_context())
        # Every string is tagged !unsafe, so ansible-playbook never evaluates a config value
        # such as "{{ lookup('pipe', 'id') }}" on the machine that runs the inventory.
        return Response(dump_unsafe_yaml(document), mimetype="application/yaml")


@blp.route("/<string:name>/actions")
class ClusterActions(MethodView):
    @requires("operator")
    @blp.arguments(ClusterActionSchema)
    @blp.response(202, JobSchema)
    def post(self, body, name):
        """Start, stop or restart every service of the cluster in the order the stack's rules give."""
        from controlplane.api.jobs_view import job_view
        from controlplane.api.services import stack_of
        from controlplane.configs import current_version

        cluster = get_cluster(name)
        services = list(cluster.services)
        if not services:
            raise ConflictError(f"cluster {name!r} has no services to {body['action']}")
        stack = stack_of(cluster)
        placements = {service.name: requests.placement(service) for service in services}
        stages = requests.cluster_action_stages(stack, placements, body["action"])
        versions = {service.name: version.version for service in services if (version := current_version(service)) is not None}
        job = create_job(cluster, f"{body['action'].capitalize()} all services of {name}", "cluster_action", stages, g.user.username, params={"action": body["action"], "config_versions": versions})
        return job_view(job)
