"""Services of a cluster: add with component placement, list, get, actions, scale and removal."""

from __future__ import annotations

import logging

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.api.clusters import get_cluster
from controlplane.api.jobs_view import job_view
from controlplane.api.schemas import ActionSchema, HostNamesSchema, JobSchema, ServiceCreateSchema, ServiceSchema
from controlplane.auth.policy import requires
from controlplane.configs import create_version, current_version, merge_values
from controlplane.context import server_context
from controlplane.db import database
from controlplane.errors import BadRequestError, ConflictError, NotFoundError
from controlplane.hostnames import expand_hosts
from controlplane.jobs import requests
from controlplane.jobs.planner import create_job
from controlplane.models import Cluster, Host, HostComponent, Job, Service
from controlplane.stacks import PropertyError
from controlplane.stacks.properties import variable_name

logger = logging.getLogger(__name__)

URL_PREFIX = "/clusters"
blp = Blueprint("services", __name__, description="Services of a cluster, their components and actions")


def stack_of(cluster: Cluster):
    try:
        return server_context().catalogue.get(cluster.stack_name, cluster.stack_version)
    except KeyError:
        raise ConflictError(f"stack {cluster.stack_name}/{cluster.stack_version} of cluster {cluster.name!r} is not loaded; check the server's stack folders") from None


def get_service(cluster: Cluster, name: str) -> Service:
    service = Service.get_or_none((Service.cluster == cluster) & (Service.name == name))
    if service is None:
        raise NotFoundError(f"service {name!r} is not installed on cluster {cluster.name!r}")
    return service


def restart_required(service: Service) -> bool:
    version = current_version(service)
    if version is None:
        return False
    return any(item.config_version < version.version and item.state in ("STARTED", "STOPPED", "INSTALLED") for item in service.host_components)


def service_view(service: Service) -> dict:
    cluster = service.cluster
    definition = stack_of(cluster).services.get(service.name)
    version = current_version(service)
    components = []
    for item in HostComponent.select(HostComponent, Host).join(Host).where(HostComponent.service == service).order_by(HostComponent.component, Host.hostname):
        component_definition = definition.components.get(item.component) if definition else None
        components.append(
            {
                "component": item.component,
                "category": component_definition.category if component_definition else "",
                "host": item.host.hostname,
                "state": item.state,
                "live_status": item.live_status,
                "config_version": item.config_version,
                "restart_required": bool(version and item.config_version < version.version),
            }
        )
    custom = []
    if definition:
        for component_name in definition.components:
            for name, command in requests.custom_commands(definition, component_name).items():
                custom.append({"name": name, "component": component_name, "description": getattr(command, "description", "")})
    return {
        "id": service.id,
        "name": service.name,
        "display_name": definition.display_name if definition else service.name,
        "cluster": cluster.name,
        "state": service.state,
        "status": _live_summary(components),
        "config_version": version.version if version else 0,
        "components": components,
        "custom_commands": custom,
        "restart_required": restart_required(service),
    }



def _live_summary(components: list[dict]) -> str:
    """Summarize the agents' reports of the server components: RUNNING, STOPPED, PARTIAL or UNKNOWN."""
    statuses = {item["live_status"] for item in components if item["category"] == "server"}
    if len(statuses) == 1:
        return statuses.pop()
    if not statuses or statuses == {"UNKNOWN"}:
        return "UNKNOWN"
    return "PARTIAL"


def _resolve_placement(cluster: Cluster, definition, components: dict[str, list[str]]) -> dict[str, list[Host]]:
    unknown = sorted(set(components) - set(definition.components))
    if unknown:
        raise BadRequestError(f"components: {unknown} are not components of service {definition.name!r}; it has {sorted(definition.components)}", field="components")

    placement: dict[str, list[Host]] = {}
    for name, component in definition.components.items():
        hostnames = expand_hosts(components.get(name, []))
        problem = component.cardinality_error(len(hostnames))
        if problem:
            raise BadRequestError(problem, field=f"components.{name}")
        hosts = []
        for hostname in hostnames:
            host = Host.get_or_none(Host.hostname == hostname)
            if host is None:
                raise NotFoundError(f"components.{name}: host {hostname!r} is not registered", field=f"components.{name}")
            if host.cluster_id != cluster.id:
                raise ConflictError(f"components.{name}: host {hostname!r} is not in cluster {cluster.name!r}; attach it first", field=f"components.{name}")
            hosts.append(host)
        if hosts:
            placement[name] = sorted(hosts, key=lambda host: host.hostname)
    return placement


@blp.route("/<string:cluster_name>/services")
class Services(MethodView):
    @requires("viewer")
    @blp.response(200, ServiceSchema(many=True))
    def get(self, cluster_name):
        """List the services installed on a cluster."""
        cluster = get_cluster(cluster_name)
        return [service_view(service) for service in Service.select().where(Service.cluster == cluster).order_by(Service.name)]

    @requires("operator")
    @blp.arguments(ServiceCreateSchema)
    @blp.response(202, JobSchema)
    @blp.alt_response(400, description="Unknown service or component, bad placement or bad config value")
    @blp.alt_response(409, description="The service is installed already or a required service is missing")
    def post(self, body, cluster_name):
        """Add a service: place its components on hosts and start a job that installs, configures, starts and checks it."""
        context = server_context()
        cluster = get_cluster(cluster_name)
        stack = stack_of(cluster)
        definition = stack.services.get(body["name"])
        if definition is None:
            raise BadRequestError(f"service {body['name']!r} is not in stack {stack.name}/{stack.version}; it has {sorted(stack.services)}", field="name")
        if Service.get_or_none((Service.cluster == cluster) & (Service.name == definition.name)) is not None:
            raise ConflictError(f"service {definition.name!r} is already installed on cluster {cluster.name!r}", field="name")
        installed = {service.name for service in cluster.services}
        missing = [name for name in definition.requires if name not in installed]
        if missing:
            raise ConflictError(f"service {definition.name!r} requires {missing}; add them to cluster {cluster.name!r} first", field="name")

        placement = _resolve_placement(cluster, definition, body["components"])
        try:
            values = definition.validate_values(merge_values(definition.default_values(), body["configs"]))
        except PropertyError as error:
            raise BadRequestError(str(error), field="configs") from None

        with database.atomic():
            service = Service.create(cluster=cluster, name=definition.name)
            for component, hosts in placement.items():
                for host in hosts:
                    HostComponent.create(service=service, component=component, host=host)
            version = create_version(context, service, values, g.user.username, "initial configuration")
            stages = requests.add_service_stages(stack, definition, placement)
            job = create_job(
                cluster,
                f"Add service {definition.display_name}",
                "add_service",
                stages,
                g.user.username,
                params={"service": definition.name, "config_versions": {definition.name: version.version}},
            )
        logger.info("job %d: service %s added to cluster %s by %s", job.id, definition.name, cluster.name, g.user.username)
        return job_view(job)


@blp.route("/<string:cluster_name>/services/<string:service_name>")
class ServiceByName(MethodView):
    @requires("viewer")
    @blp.response(200, ServiceSchema)
    def get(self, cluster_name, service_name):
        """Get a service with its components by host and their live status."""
        return service_view(get_service(get_cluster(cluster_name), service_name))

    @requires("operator")
    @blp.response(202, JobSchema)
    @blp.alt_response(409, description="Another service requires this one")
    def delete(self, cluster_name, service_name):
        """Remove a service: a job stops it and uninstalls it; the records go when that job succeeds."""
        cluster = get_cluster(cluster_name)
        service = get_service(cluster, service_name)
        stack = stack_of(cluster)
        dependents = [other.name for other in cluster.services if other.name != service.name and service.name in stack.services[other.name].requires]
        if dependents:
            raise ConflictError(f"service {service.name!r} is required by {dependents}; remove them first")
        definition = stack.services[service.name]
        with database.atomic():
            service.state = "REMOVING"
            service.save()
            job = create_job(cluster, f"Remove service {definition.display_name}", "remove_service", requests.remove_stages(stack, definition, requests.placement(service)), g.user.username, params={"service": service.name})
        return job_view(job)


def _check_parameters(service: Service, definition, parameters: dict) -> None:
    """Reject parameters that are not named for the service, shadow a config property, or are not plain data."""
    # Names only: validating the defaults would fail for a required property without a default.
    config_variables = {variable_name(definition.name, name) for config in definition.configs.values() for name in config.properties}
    for name, value in parameters.items():
        if name in config_variables:
            raise BadRequestError(f"parameters.{name}: this is a config property; change it with POST .../configs instead", field=f"parameters.{name}")
        if not name.startswith(service.name + "_"):
            raise BadRequestError(f"parameters.{name}: a parameter of service {service.name!r} must be named {service.name}_<name>", field=f"parameters.{name}")
        if not _is_plain_data(value):
            raise BadRequestError(f"parameters.{name}: values are strings, numbers, booleans or lists of them", field=f"parameters.{name}")


def _is_plain_data(value) -> bool:
    if isinstance(value, list):
        return len(value) <= 1000 and all(isinstance(item, (str, int, float, bool)) for item in value)
    return isinstance(value, (str, int, float, bool))


def _action_job(cluster: Cluster, service: Service, action: str, component: str | None, parameters: dict) -> Job:
    stack = stack_of(cluster)
    definition = stack.services[service.name]
    _check_parameters(service, definition, parameters)
    stages = requests.action_stages(stack, definition, requests.placement(service), action, component)
    if not stages:
        raise BadRequestError(f"action {action!r} has nothing to run: no component of service {service.name!r} takes it on any host", field="action")
    target = f"{service.name}/{component}" if component else service.name
    version = current_version(service)
    params = {"service": service.name, "action": action, "component": component, "variables": parameters}
    if version is not None:
        params["config_versions"] = {service.name: version.version}
    return create_job(cluster, f"{action.capitalize()} {target}", "service_action", stages, g.user.username, params=params)


@blp.route("/<string:cluster_name>/services/<string:service_name>/actions")
class ServiceActions(MethodView):
    @requires("operator")
    @blp.arguments(ActionSchema)
    @blp.response(202, JobSchema)
    def post(self, body, cluster_name, service_name):
        """Run start, stop, restart, check or a custom command on every component of a service."""
        cluster = get_cluster(cluster_name)
        return job_view(_action_job(cluster, get_service(cluster, service_name), body["action"], None, body["parameters"]))


@blp.route("/<string:cluster_name>/services/<string:service_name>/components/<string:component>/actions")
class ComponentActions(MethodView):
    @requires("operator")
    @blp.arguments(ActionSchema)
    @blp.response(202, JobSchema)
    def post(self, body, cluster_name, service_name, component):
        """Run start, stop, restart, check or a custom command on one component of a service."""
        cluster = get_cluster(cluster_name)
        return job_view(_action_job(cluster, get_service(cluster, service_name), body["action"], component, body["parameters"]))


@blp.route("/<string:cluster_name>/services/<string:service_name>/components/<string:component>/hosts")
class ComponentHosts(MethodView):
    @requires("operator")
    @blp.arguments(HostNamesSchema)
    @blp.response(202, JobSchema)
    def post(self, body, cluster_name, service_name, component):
        """Scale out: place a component on more hosts and install, configure and start it there."""
        cluster = get_cluster(cluster_name)
        service = get_service(cluster, service_name)
        stack = stack_of(cluster)
        definition = stack.services[service.name]
        if component not in definition.components:
            raise NotFoundError(f"component {component!r} is not part of service {service.name!r}")

        hostnames = {name: [host.hostname for host in hosts] for name, hosts in requests.placement(service).items()}
        current_names = hostnames.get(component, [])
        new_names = expand_hosts(body["hosts"])
        already = [name for name in new_names if name.lower() in {current.lower() for current in current_names}]
        if already:
            raise ConflictError(f"component {component!r} already runs on {already}", field="hosts")
        problem = definition.components[component].cardinality_error(len(current_names) + len(new_names))
        if problem:
            raise BadRequestError(problem, field="hosts")

        # Resolving the whole placement checks that every new host is registered and in the cluster.
        hostnames[component] = current_names + new_names
        placement = _resolve_placement(cluster, definition, hostnames)
        new_hosts = [host for host in placement[component] if host.hostname in new_names]

        version = current_version(service)
        with database.atomic():
            for host in new_hosts:
                HostComponent.create(service=service, component=component, host=host)
            job = create_job(
                cluster,
                f"Add {component} on {', '.join(new_names)}",
                "add_components",
                requests.add_hosts_stages(stack, definition, component, new_hosts),
                g.user.username,
                params={"service": service.name, "config_versions": {service.name: version.version} if version else {}},
            )
        return job_view(job)


@blp.route("/<string:cluster_name>/services/<string:service_name>/components/<string:component>/hosts/<string:hostname>")
class ComponentHost(MethodView):
    @requires("operator")
    @blp.response(202, JobSchema)
    def delete(self, cluster_name, service_name, component, hostname):
        """Remove a component from one host: a job stops and uninstalls it; the record goes when that succeeds."""
        cluster = get_cluster(cluster_name)
        service = get_service(cluster, service_name)
        stack = stack_of(cluster)
        definition = stack.services[service.name]
        if component not in definition.components:
            raise NotFoundError(f"component {component!r} is not part of service {service.name!r}")
        current = requests.placement(service).get(component, [])
        item = HostComponent.select().join(Host).where((HostComponent.service == service) & (HostComponent.component == component) & (Host.hostname == hostname)).first()
        if item is None:
            raise NotFoundError(f"component {component!r} does not run on host {hostname!r}")
        problem = definition.components[component].cardinality_error(len(current) - 1)
        if problem:
            raise ConflictError(problem)
        host = item.host
        targets = {component: [host]}
        stages = requests.remove_stages(stack, definition, targets)
        job = create_job(cluster, f"Remove {component} from {hostname}", "remove_components", stages, g.user.username, params={"service": service.name, "removed": [item.id]})
        return job_view(job)
