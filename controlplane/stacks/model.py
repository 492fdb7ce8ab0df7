"""Dataclasses of a stack: services, components, commands and config files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from controlplane.stacks.errors import PropertyError
from controlplane.stacks.properties import Property, variable_name

STANDARD_COMMANDS = ("install", "configure", "start", "stop", "status", "check", "uninstall")
DEFAULT_TIMEOUT_SECONDS = 1800
CHECK_TIMEOUT_SECONDS = 300

# Cardinality: exactly N ("3"), at least N ("1+") or from N to M ("0-1").
_CARDINALITY = re.compile(r"^(\d+)(\+|-(\d+))?$")


def parse_cardinality(text: str) -> tuple[int, int | None]:
    """Return (minimum, maximum) of a cardinality such as "1", "1+" or "1-3"; maximum
    None means no upper bound. Raise ValueError for any other text."""
    match = _CARDINALITY.match(str(text).strip())
    if not match:
        raise ValueError(f"invalid cardinality {text!r}; use N, N+ or N-M, for example 1, 1+ or 0-1")
    low = int(match.group(1))
    if match.group(2) == "+":
        return low, None
    if match.group(3) is not None:
        high = int(match.group(3))
        if high < low:
            raise ValueError(f"invalid cardinality {text!r}: {high} is less than {low}")
        return low, high
    return low, low


@dataclass
class CommandDef:
    """A command a component accepts."""

    name: str
    description: str = ""
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    retryable: bool = False
    custom: bool = False
    # Component that runs a custom command; None for standard commands.
    component: str | None = None


@dataclass
class ComponentDef:
    """A component of a service, placed on hosts of the cluster."""

    name: str
    display_name: str
    category: str
    cardinality: str
    commands: dict[str, CommandDef] = field(default_factory=dict)

    def cardinality_error(self, count: int) -> str | None:
        """Return a message when ``count`` hosts break the cardinality rule, else None."""
        low, high = parse_cardinality(self.cardinality)
        if count < low or (high is not None and count > high):
            return (
                f"component {self.name} needs {_describe_cardinality(low, high)} "
                f"(cardinality {self.cardinality}), got {count}"
            )
        return None


def _describe_cardinality(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} host{'s' if low != 1 else ''}"
    if low == high:
        return f"exactly {low} host{'s' if low != 1 else ''}"
    return f"between {low} and {high} hosts"


@dataclass
class ConfigFileDef:
    """A config file of a service: its template and properties.

    ``template`` is None for a group of properties that the role uses without rendering a
    file of that name (for example install settings).
    """

    name: str
    template: str | None
    destination: str
    properties: dict[str, Property] = field(default_factory=dict)


@dataclass
class ServiceDef:
    """A service of a stack and the files that define it."""

    name: str
    display_name: str
    version: str
    description: str
    license: str
    user: str
    group: str
    requires: list[str]
    components: dict[str, ComponentDef]
    configs: dict[str, ConfigFileDef]
    packages: dict[str, Any]
    custom_commands: dict[str, CommandDef]
    role_name: str
    path: Path

    def commands(self) -> list[str]:
        return [*STANDARD_COMMANDS, *self.custom_commands]

    def default_values(self) -> dict[str, dict[str, Any]]:
        return {
            file_name: {name: prop.default for name, prop in config.properties.items()}
            for file_name, config in self.configs.items()
        }

    def validate_values(self, values: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Return the defaults overlaid with ``values``, each converted to its property type.

        Raise PropertyError for an unknown file or property, an invalid value, or a
        required property without a value.
        """
        unknown_files = sorted(set(values) - set(self.configs))
        if unknown_files:
            raise PropertyError(
                "*", values[unknown_files[0]],
                f"unknown config file of service {self.name}; known files: {', '.join(self.configs)}",
                config_file=unknown_files[0],
            )

        result: dict[str, dict[str, Any]] = {}
        for file_name, config in self.configs.items():
            given = values.get(file_name) or {}
            unknown = sorted(set(given) - set(config.properties))
            if unknown:
                raise PropertyError(
                    unknown[0], given[unknown[0]],
                    f"unknown property; known properties: {', '.join(config.properties)}",
                    config_file=file_name,
                )
            result[file_name] = {}
            for name, prop in config.properties.items():
                value = given.get(name, prop.default)
                try:
                    result[file_name][name] = prop.validate(value)
                except PropertyError as error:
                    raise PropertyError(name, value, error.rule, config_file=file_name) from error
        return result

    def role_variables(self, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Return the role variables ``<service>_<property>`` of validated values."""
        validated = self.validate_values(values)
        variables: dict[str, Any] = {}
        for properties in validated.values():
            for name, value in properties.items():
                variables[variable_name(self.name, name)] = value
        return variables

    def secret_properties(self) -> set[tuple[str, str]]:
        """Return (file, property) of every password property."""
        return {
            (file_name, name)
            for file_name, config in self.configs.items()
            for name, prop in config.properties.items()
            if prop.secret
        }

    def secret_variables(self) -> set[str]:
        return {variable_name(self.name, name) for _, name in self.secret_properties()}


@dataclass
class OrderingRule:
    """``component-COMMAND`` waits until each of ``after`` has finished."""

    component: str
    command: str
    after: list[tuple[str, str]]


@dataclass
class Stack:
    name: str
    version: str
    path: Path
    services: dict[str, ServiceDef]
    ordering: list[OrderingRule]

    def component(self, name: str) -> tuple[ServiceDef, ComponentDef]:
        for service in self.services.values():
            if name in service.components:
                return service, service.components[name]
        raise KeyError(f"component {name} not found in stack {self.name} {self.version}")


@dataclass
class Catalogue:
    stacks: dict[tuple[str, str], Stack] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def get(self, name: str, version: str) -> Stack:
        try:
            return self.stacks[(name, version)]
        except KeyError:
            known = ", ".join(f"{n} {v}" for n, v in sorted(self.stacks)) or "none"
            raise KeyError(f"stack {name} {version} not found; loaded stacks: {known}") from None
