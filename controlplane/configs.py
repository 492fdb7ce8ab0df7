"""Configuration versions of a service: create, read, diff, and the values a host runs."""

from __future__ import annotations

import json
from typing import Any

from controlplane.context import ServerContext
from controlplane.models import ConfigVersion, Service

MASK = "********"


def service_definition(context: ServerContext, service: Service):
    stack = context.catalogue.get(service.cluster.stack_name, service.cluster.stack_version)
    return stack.services[service.name]


def current_version(service: Service) -> ConfigVersion | None:
    return ConfigVersion.select().where(ConfigVersion.service == service).order_by(ConfigVersion.version.desc()).first()


def read_values(context: ServerContext, version: ConfigVersion) -> dict[str, dict[str, Any]]:
    return json.loads(context.keys.decrypt(version.values))


def create_version(context: ServerContext, service: Service, values: dict, author: str, message: str) -> ConfigVersion:
    """Store ``values`` (already validated) as the next version; the whole document is encrypted."""
    latest = current_version(service)
    number = 1 if latest is None else latest.version + 1
    encrypted = context.keys.encrypt(json.dumps(values, sort_keys=True))
    return ConfigVersion.create(service=service, version=number, values=encrypted, author=author, message=message)


def merge_values(base: dict, overrides: dict) -> dict:
    merged = {name: dict(properties) for name, properties in base.items()}
    for name, properties in overrides.items():
        merged.setdefault(name, {}).update(properties)
    return merged


def secret_keys(definition) -> set[tuple[str, str]]:
    """Return (config file, property) pairs whose type is password."""
    keys = set()
    for file_name, config in definition.configs.items():
        for property_name, prop in config.properties.items():
            if prop.type == "password":
                keys.add((file_name, property_name))
    return keys


def masked(values: dict, secrets: set[tuple[str, str]]) -> dict:
    result = {}
    for file_name, properties in values.items():
        result[file_name] = {
            name: (MASK if (file_name, name) in secrets and value not in ("", None) else value)
            for name, value in properties.items()
        }
    return result


def secret_values(values: dict, secrets: set[tuple[str, str]]) -> list[str]:
    found = []
    for file_name, name in secrets:
        value = values.get(file_name, {}).get(name)
        if isinstance(value, str) and value:
            found.append(value)
    return found


def diff_values(old: dict, new: dict, secrets: set[tuple[str, str]]) -> list[dict]:
    changes = []
    for file_name in sorted(set(old) | set(new)):
        old_properties = old.get(file_name, {})
        new_properties = new.get(file_name, {})
        for name in sorted(set(old_properties) | set(new_properties)):
            before = old_properties.get(name)
            after = new_properties.get(name)
            if before == after:
                continue
            if (file_name, name) in secrets:
                before, after = MASK, MASK
            changes.append({"file": file_name, "property": name, "from": before, "to": after})
    return changes
