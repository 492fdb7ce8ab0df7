"""The jobs an operator can request, each as phases of commands on components."""

from __future__ import annotations

from controlplane.errors import BadRequestError
from controlplane.jobs.planner import Phase, StagePlan, plan_stages
from controlplane.models import Host, HostComponent, Service

BUILTIN_ACTIONS = ("start", "stop", "restart", "check", "status")


def placement(service: Service) -> dict[str, list[Host]]:
    """Return component name to hosts (sorted by hostname) for one service."""
    hosts: dict[str, list[Host]] = {}
    query = HostComponent.select(HostComponent, Host).join(Host).where(HostComponent.service == service)
    for item in query:
        hosts.setdefault(item.component, []).append(item.host)
    return {name: sorted(items, key=lambda host: host.hostname) for name, items in hosts.items()}


def _servers(definition, hosts: dict[str, list[Host]], only: str | None = None) -> list[str]:
    names = [name for name, component in definition.components.items() if component.category == "server" and name in hosts]
    return [name for name in names if only is None or name == only]


def _targets(service_name: str, components: list[str], hosts: dict[str, list[Host]]) -> list[tuple[str, str, list[Host]]]:
    return [(service_name, name, hosts[name]) for name in components if hosts.get(name)]


def add_service_stages(stack, definition, hosts: dict[str, list[Host]]) -> list[StagePlan]:
    everything = [name for name in definition.components if name in hosts]
    servers = _servers(definition, hosts)
    phases = [
        Phase("install", _targets(definition.name, everything, hosts)),
        Phase("configure", _targets(definition.name, everything, hosts)),
        Phase("start", _targets(definition.name, servers, hosts)),
        Phase("check", _targets(definition.name, servers or everything[:1], hosts)),
    ]
    return plan_stages(stack, phases)


def action_stages(stack, definition, hosts: dict[str, list[Host]], action: str, component: str | None = None) -> list[StagePlan]:
    """Return the stages of a start, stop, restart, check or custom command on a service or one component."""
    if component is not None and component not in hosts:
        raise BadRequestError(f"component {component!r} of service {definition.name!r} is not placed on any host", field="component")
    servers = _servers(definition, hosts, component)
    everything = [name for name in definition.components if name in hosts and (component is None or name == component)]

    if action in ("start", "stop", "status"):
        return plan_stages(stack, [Phase(action, _targets(definition.name, servers, hosts))])
    if action == "restart":
        targets = _targets(definition.name, servers, hosts)
        return plan_stages(stack, [Phase("stop", targets), Phase("start", targets)])
    if action == "check":
        return plan_stages(stack, [Phase("check", _targets(definition.name, servers or everything[:1], hosts))])

    declaring = [name for name in everything if action in custom_commands(definition, name)]
    if not declaring:
        known = sorted(set(BUILTIN_ACTIONS) | {name for comp in definition.components for name in custom_commands(definition, comp)})
        raise BadRequestError(f"action {action!r} is not a command of service {definition.name!r}; choose one of {known}", field="action")
    return plan_stages(stack, [Phase(action, _targets(definition.name, declaring, hosts))])


def custom_commands(definition, component_name: str) -> dict:
    """Return the custom commands (rebalance, decommission, ...) a component declares."""
    component = definition.components[component_name]
    return {name: command for name, command in component.commands.items() if command.custom}


def apply_config_stages(stack, definition, hosts: dict[str, list[Host]], batch_size: int) -> list[StagePlan]:
    """Configure every host, then restart the servers in batches of ``batch_size`` hosts, one batch after another."""
    everything = [name for name in definition.components if name in hosts]
    phases = [Phase("configure", _targets(definition.name, everything, hosts))]
    for component in _servers(definition, hosts):
        component_hosts = hosts[component]
        for start in range(0, len(component_hosts), batch_size):
            batch = component_hosts[start : start + batch_size]
            phases.append(Phase("stop", [(definition.name, component, batch)]))
            phases.append(Phase("start", [(definition.name, component, batch)]))
    return plan_stages(stack, phases)


def remove_stages(stack, definition, hosts: dict[str, list[Host]]) -> list[StagePlan]:
    servers = _servers(definition, hosts)
    everything = [name for name in definition.components if name in hosts]
    return plan_stages(
        stack,
        [Phase("stop", _targets(definition.name, servers, hosts)), Phase("uninstall", _targets(definition.name, everything, hosts))],
    )


def add_hosts_stages(stack, definition, component: str, new_hosts: list[Host]) -> list[StagePlan]:
    category = definition.components[component].category
    targets = [(definition.name, component, new_hosts)]
    phases = [Phase("install", targets), Phase("configure", targets)]
    if category == "server":
        phases.append(Phase("start", targets))
    return plan_stages(stack, phases)


def cluster_action_stages(stack, placements: dict[str, dict[str, list[Host]]], action: str) -> list[StagePlan]:
    """Return the stages of start, stop or restart on every server component of every service.

    All services share one phase per command, so the stack's ordering rules across services
    apply: with the bigtop stack, kafka_broker starts after zookeeper_server and stops before it.
    """
    if action not in ("start", "stop", "restart"):
        raise BadRequestError(f"action {action!r} cannot run on a whole cluster; choose start, stop or restart", field="action")
    targets: list[tuple[str, str, list[Host]]] = []
    for service_name, hosts in sorted(placements.items()):
        definition = stack.services[service_name]
        targets.extend(_targets(service_name, _servers(definition, hosts), hosts))
    if action == "restart":
        return plan_stages(stack, [Phase("stop", targets), Phase("start", targets)])
    return plan_stages(stack, [Phase(action, targets)])
