"""Load stack folders (``<root>/<stack>/<version>/stack.yaml``) into a Catalogue."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from controlplane.stacks.errors import StackError
from controlplane.stacks.model import (
    CHECK_TIMEOUT_SECONDS,
    DEFAULT_TIMEOUT_SECONDS,
    STANDARD_COMMANDS,
    Catalogue,
    CommandDef,
    ComponentDef,
    ConfigFileDef,
    OrderingRule,
    ServiceDef,
    Stack,
    parse_cardinality,
)
from controlplane.stacks.properties import property_from_mapping, variable_name

logger = logging.getLogger(__name__)

# Service and component names become parts of Ansible variable, role and group names.
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ORDERING_KEY = re.compile(r"^([a-z][a-z0-9_]*)-([A-Z][A-Z0-9_]*)$")

# Commands without a running process make no sense for a client component.
_CLIENT_COMMANDS = ("install", "configure", "check", "uninstall")


def load_catalogue(roots: list[Path]) -> Catalogue:
    """Load every stack under ``roots``; a broken stack is left out and its problem,
    with the file, is added to ``Catalogue.errors``."""
    catalogue = Catalogue()
    for root in roots:
        root = Path(root)
        if not root.is_dir():
            catalogue.errors.append(f"{root}: stack folder not found")
            continue
        for stack_file in sorted(root.glob("*/*/stack.yaml")):
            try:
                stack = load_stack(stack_file.parent)
            except StackError as error:
                logger.warning("stack rejected: %s", error)
                catalogue.errors.append(str(error))
                continue
            key = (stack.name, stack.version)
            if key in catalogue.stacks:
                catalogue.errors.append(
                    f"{stack_file}: stack {stack.name} {stack.version} is already loaded "
                    f"from {catalogue.stacks[key].path}; rename one of them"
                )
                continue
            catalogue.stacks[key] = stack
    return catalogue


def load_stack(folder: Path) -> Stack:
    """Load one stack folder; raise StackError naming the file and the problem."""
    folder = folder.resolve()
    stack_file = folder / "stack.yaml"
    data = _read_mapping(stack_file)
    name = _require_str(stack_file, data, "name")
    version = str(_require(stack_file, data, "version"))

    services: dict[str, ServiceDef] = {}
    for service_file in sorted((folder / "services").glob("*/service.yaml")):
        service = _load_service(folder, name, service_file)
        if service.name in services:
            raise StackError(service_file, f"service {service.name} is defined twice")
        services[service.name] = service
    if not services:
        raise StackError(folder / "services", "no services/<service>/service.yaml found")

    _check_requires(services)
    _check_unique_components(services)
    stack = Stack(name=name, version=version, path=folder, services=services, ordering=[])
    stack.ordering = _load_ordering(stack_file, data.get("ordering") or {}, stack)
    return stack


def _read_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StackError(path, "file not found") from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise StackError(path, f"cannot read YAML: {error}") from error
    if not isinstance(data, dict):
        raise StackError(path, "expected a YAML mapping at the top level")
    return data


def _require(path: Path, data: dict[str, Any], key: str) -> Any:
    if data.get(key) in (None, ""):
        raise StackError(path, f"missing key {key!r}")
    return data[key]


def _require_str(path: Path, data: dict[str, Any], key: str) -> str:
    value = _require(path, data, key)
    if not isinstance(value, str):
        raise StackError(path, f"key {key!r} must be a string, got {value!r}")
    return value


def _inside(base: Path, relative: str, referring_file: Path, what: str) -> Path:
    """Return ``base / relative`` after checking that it stays inside ``base``."""
    if not isinstance(relative, str) or not relative:
        raise StackError(referring_file, f"{what} must be a relative path, got {relative!r}")
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        raise StackError(referring_file, f"{what} {relative!r} escapes the stack folder; use a path inside {base}")
    resolved = (base / candidate).resolve()
    if not resolved.is_relative_to(base.resolve()):
        raise StackError(referring_file, f"{what} {relative!r} resolves to {resolved}, outside {base}")
    return resolved


def _load_service(stack_folder: Path, stack_name: str, service_file: Path) -> ServiceDef:
    folder = service_file.parent
    data = _read_mapping(service_file)
    name = _require_str(service_file, data, "name")
    if not _NAME.match(name):
        raise StackError(service_file, f"invalid service name {name!r}; use lower case letters, digits and _")
    if name != folder.name:
        raise StackError(service_file, f"service name {name!r} differs from its folder name {folder.name!r}")

    custom_commands = _load_custom_commands(service_file, data.get("custom_commands") or {})
    components = _load_components(service_file, data.get("components"), custom_commands)
    _assign_custom_command_owners(service_file, custom_commands, components)
    configs = _load_configs(folder, name)
    _check_task_files(folder, service_file, components)

    requires = data.get("requires") or []
    if not isinstance(requires, list) or not all(isinstance(item, str) for item in requires):
        raise StackError(service_file, "requires must be a list of service names")

    packages = data.get("packages") or {}
    if not isinstance(packages, dict):
        raise StackError(service_file, "packages must be a mapping with debian, redhat and tarball keys")
    tarball = packages.get("tarball")
    if tarball is not None and not (isinstance(tarball, dict) and tarball.get("url") and tarball.get("sha256")):
        raise StackError(service_file, "packages.tarball needs url and sha256")

    return ServiceDef(
        name=name,
        display_name=str(data.get("display_name", name)),
        version=str(_require(service_file, data, "version")),
        description=str(data.get("description", "")),
        license=str(data.get("license", "")),
        user=str(data.get("user", name)),
        group=str(data.get("group", data.get("user", name))),
        requires=list(requires),
        components=components,
        configs=configs,
        packages={
            "debian": list(packages.get("debian") or []),
            "redhat": list(packages.get("redhat") or []),
            "tarball": dict(tarball) if tarball else None,
        },
        custom_commands=custom_commands,
        role_name=f"{stack_name}_{name}",
        path=folder,
    )


def _command_def(path: Path, name: str, data: Any, custom: bool) -> CommandDef:
    data = data or {}
    if not isinstance(data, dict):
        raise StackError(path, f"command {name}: expected a mapping")
    default_timeout = CHECK_TIMEOUT_SECONDS if name == "check" else DEFAULT_TIMEOUT_SECONDS
    timeout = data.get("timeout_seconds", default_timeout)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        raise StackError(path, f"command {name}: timeout_seconds must be a positive integer, got {timeout!r}")
    return CommandDef(
        name=name,
        description=str(data.get("description", "")),
        timeout_seconds=timeout,
        retryable=bool(data.get("retryable", False)),
        custom=custom,
    )


def _load_custom_commands(path: Path, data: Any) -> dict[str, CommandDef]:
    if not isinstance(data, dict):
        raise StackError(path, "custom_commands must be a mapping of command name to settings")
    commands = {}
    for name, settings in data.items():
        if not _NAME.match(str(name)) or name in STANDARD_COMMANDS:
            raise StackError(path, f"invalid custom command name {name!r}")
        command = _command_def(path, name, settings, custom=True)
        owner = (settings or {}).get("component")
        if owner is not None and not (isinstance(owner, str) and _NAME.match(owner)):
            raise StackError(path, f"custom command {name}: component must be a component name, got {owner!r}")
        command.component = owner
        commands[name] = command
    return commands


def _assign_custom_command_owners(path: Path, custom_commands: dict[str, CommandDef], components: dict[str, ComponentDef]) -> None:
    """Give each custom command the one component that runs it: the ``component`` key of
    the command, or the component that lists it under its own ``custom_commands``."""
    for name, command in custom_commands.items():
        listing = [component.name for component in components.values() if name in component.commands]
        if command.component is not None:
            if command.component not in components:
                raise StackError(path, f"custom command {name}: component {command.component!r} is not a component of this service; it has {', '.join(components)}")
            if any(owner != command.component for owner in listing):
                raise StackError(path, f"custom command {name}: component {command.component} runs it, but {', '.join(listing)} also lists it; keep one owner")
            components[command.component].commands[name] = command
            continue
        if len(listing) != 1:
            raise StackError(path, f"custom command {name}: set its component key, or list it under the custom_commands of exactly one component (listed by {listing or 'none'})")
        command.component = listing[0]


def _load_components(path: Path, data: Any, custom_commands: dict[str, CommandDef]) -> dict[str, ComponentDef]:
    if not isinstance(data, dict) or not data:
        raise StackError(path, "components must be a non-empty mapping")
    components = {}
    for name, settings in data.items():
        if not _NAME.match(str(name)):
            raise StackError(path, f"invalid component name {name!r}; use lower case letters, digits and _")
        settings = settings or {}
        category = settings.get("category", "server")
        if category not in ("server", "client"):
            raise StackError(path, f"component {name}: category must be server or client, got {category!r}")
        cardinality = str(settings.get("cardinality", "1+"))
        try:
            parse_cardinality(cardinality)
        except ValueError as error:
            raise StackError(path, f"component {name}: {error}") from None

        overrides = settings.get("commands") or {}
        names = list(STANDARD_COMMANDS if category == "server" else _CLIENT_COMMANDS)
        commands = {command: _command_def(path, command, overrides.get(command), custom=False) for command in names}
        for command_name in settings.get("custom_commands") or []:
            if command_name not in custom_commands:
                raise StackError(path, f"component {name}: custom command {command_name!r} is not in custom_commands")
            commands[command_name] = custom_commands[command_name]
        components[name] = ComponentDef(
            name=name,
            display_name=str(settings.get("display_name", name)),
            category=category,
            cardinality=cardinality,
            commands=commands,
        )
    return components


def _load_configs(folder: Path, service_name: str) -> dict[str, ConfigFileDef]:
    configs = {}
    variables: dict[str, str] = {}
    for config_file in sorted((folder / "configs").glob("*.yaml")):
        data = _read_mapping(config_file)
        file_name = config_file.name.removesuffix(".yaml")

        template = data.get("template")
        if template is not None:
            template_path = _inside(folder / "templates", template, config_file, "template")
            if not template_path.is_file():
                raise StackError(config_file, f"template {template!r} not found in {folder / 'templates'}")

        properties = {}
        for prop_name, prop_data in (data.get("properties") or {}).items():
            try:
                prop = property_from_mapping(str(prop_name), prop_data)
            except ValueError as error:
                raise StackError(config_file, str(error)) from None
            variable = variable_name(service_name, prop.name)
            if variable in variables:
                raise StackError(
                    config_file,
                    f"property {prop.name} maps to role variable {variable}, "
                    f"like property {variables[variable]}; rename one of them",
                )
            variables[variable] = prop.name
            properties[prop.name] = prop

        configs[file_name] = ConfigFileDef(
            name=file_name,
            template=template,
            destination=str(data.get("destination", "")),
            properties=properties,
        )
    return configs


def _check_task_files(folder: Path, service_file: Path, components: dict[str, ComponentDef]) -> None:
    commands = {name for component in components.values() for name in component.commands}
    for command in sorted(commands):
        if not (folder / "tasks" / f"{command}.yml").is_file():
            raise StackError(service_file, f"command {command} has no task file tasks/{command}.yml")


def _check_requires(services: dict[str, ServiceDef]) -> None:
    for service in services.values():
        for required in service.requires:
            if required not in services:
                raise StackError(
                    service.path / "service.yaml",
                    f"requires unknown service {required!r}; services of this stack: {', '.join(sorted(services))}",
                )


def _check_unique_components(services: dict[str, ServiceDef]) -> None:
    owner: dict[str, str] = {}
    for service in services.values():
        for component in service.components:
            if component in owner:
                raise StackError(
                    service.path / "service.yaml",
                    f"component {component} is also defined by service {owner[component]}",
                )
            owner[component] = service.name


def _parse_ordering_key(stack_file: Path, key: Any, stack: Stack) -> tuple[str, str]:
    match = _ORDERING_KEY.match(str(key))
    if not match:
        raise StackError(stack_file, f"invalid ordering entry {key!r}; use component-COMMAND, for example zookeeper_server-START")
    component, command = match.group(1), match.group(2).lower()
    try:
        _, component_def = stack.component(component)
    except KeyError:
        raise StackError(stack_file, f"ordering entry {key!r} names unknown component {component}") from None
    if command not in component_def.commands:
        raise StackError(stack_file, f"ordering entry {key!r}: component {component} has no command {command}")
    return component, command


def _load_ordering(stack_file: Path, data: Any, stack: Stack) -> list[OrderingRule]:
    if not isinstance(data, dict):
        raise StackError(stack_file, "ordering must be a mapping of component-COMMAND to a list of component-COMMAND")
    rules = []
    for key, after in data.items():
        component, command = _parse_ordering_key(stack_file, key, stack)
        if not isinstance(after, list):
            raise StackError(stack_file, f"ordering entry {key!r} must list the steps it waits for")
        rules.append(
            OrderingRule(
                component=component,
                command=command,
                after=[_parse_ordering_key(stack_file, item, stack) for item in after],
            )
        )
    _check_ordering_cycle(stack_file, rules)
    return rules


def _check_ordering_cycle(stack_file: Path, rules: list[OrderingRule]) -> None:
    edges: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for rule in rules:
        edges.setdefault((rule.component, rule.command), []).extend(rule.after)

    visiting: list[tuple[str, str]] = []
    done: set[tuple[str, str]] = set()

    def visit(step: tuple[str, str]) -> None:
        if step in done:
            return
        if step in visiting:
            cycle = visiting[visiting.index(step):] + [step]
            text = " -> ".join(f"{component}-{command.upper()}" for component, command in cycle)
            raise StackError(stack_file, f"ordering cycle: {text}")
        visiting.append(step)
        for next_step in edges.get(step, []):
            visit(next_step)
        visiting.pop()
        done.add(step)

    for step in list(edges):
        visit(step)
