"""Ansible YAML inventory of a cluster, for running the built roles outside Stackyard."""

from __future__ import annotations

from controlplane.configs import current_version, read_values, service_definition
from controlplane.context import ServerContext
from controlplane.models import Cluster, HostComponent, Service


def component_hosts(cluster: Cluster) -> dict[str, list[str]]:
    """Return every component of the cluster with the sorted hostnames it is placed on."""
    placement: dict[str, list[str]] = {}
    query = HostComponent.select().join(Service).where(Service.cluster == cluster)
    for item in query:
        placement.setdefault(item.component, []).append(item.host.hostname)
    return {component: sorted(hosts) for component, hosts in sorted(placement.items())}


def service_variables(context: ServerContext, service: Service, include_secrets: bool) -> dict:
    """Return the role variables of ``service`` from its current configuration version."""
    definition = service_definition(context, service)
    version = current_version(service)
    values = read_values(context, version) if version else definition.default_values()
    # Validate with the secrets still in place, because a required password property without
    # a value is invalid; drop them afterwards.
    variables = definition.role_variables(values)
    if not include_secrets:
        for name in definition.secret_variables():
            variables.pop(name, None)
    return variables


def cluster_variables(cluster: Cluster) -> dict:
    return {
        "stackyard_cluster": cluster.name,
        "stackyard_root_dir": cluster.root_dir,
        "stackyard_group": cluster.user_group,
        "stackyard_repositories": [
            {"name": item.name, "kind": item.kind, "url": item.url, "distribution": item.distribution, "gpg_key_url": item.gpg_key_url}
            for item in cluster.repositories
        ],
        "stackyard_component_hosts": component_hosts(cluster),
    }


def build_inventory(cluster: Cluster, context: ServerContext) -> dict:
    """Return an inventory document: a group per component and the configuration as group variables.

    Password properties are left out; pass them with ``-e`` or Ansible Vault.
    """
    group_vars = cluster_variables(cluster)
    children: dict[str, dict] = {}
    hosts: dict[str, dict] = {}
    for host in cluster.hosts:
        hosts[host.hostname] = {"stackyard_hostname": host.hostname, "ansible_host": host.ip_address or host.hostname}

    for service in cluster.services:
        group_vars.update(service_variables(context, service, include_secrets=False))
        for item in service.host_components:
            group = children.setdefault(item.component, {"hosts": {}})
            group["hosts"][item.host.hostname] = {}

    return {"all": {"vars": group_vars, "hosts": hosts, "children": children}}
