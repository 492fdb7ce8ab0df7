"""Compile service definitions into ordinary Ansible roles and playbooks."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
import tarfile
import tempfile
import threading
from pathlib import Path
from typing import Any

import yaml

from controlplane.stacks.model import Catalogue, ServiceDef, Stack
from controlplane.stacks.properties import variable_name
from stackyard.unsafe_yaml import dump_unsafe_yaml

# Task files that every role gets: package install, repositories and daemon helpers.
ROLE_FILES = Path(__file__).parent / "role_files"

_ARGUMENT_TYPES = {"int": "int", "port": "int", "bool": "bool"}

STACKYARD_DEFAULTS: dict[str, Any] = {
    "stackyard_cluster": "stackyard",
    "stackyard_hostname": "{{ inventory_hostname }}",
    "stackyard_component_hosts": {},
    "stackyard_root_dir": "/var/lib/stackyard",
    "stackyard_repositories": [],
}

_archive_cache: dict[tuple[str, str, str, str], bytes] = {}
_archive_lock = threading.Lock()


def build_role(stack: Stack, service: ServiceDef, out_dir: Path) -> Path:
    """Write the role of ``service`` to ``<out_dir>/roles/<role_name>/`` and return its path."""
    role_dir = Path(out_dir) / "roles" / service.role_name
    if role_dir.exists():
        shutil.rmtree(role_dir)
    (role_dir / "tasks").mkdir(parents=True)

    for source in sorted((service.path / "tasks").glob("*.yml")):
        shutil.copyfile(source, role_dir / "tasks" / source.name)
    for source in sorted(ROLE_FILES.glob("*.yml")):
        shutil.copyfile(source, role_dir / "tasks" / source.name)
    if (service.path / "templates").is_dir():
        shutil.copytree(service.path / "templates", role_dir / "templates")
    if (service.path / "vars" / "main.yml").is_file():
        (role_dir / "vars").mkdir()
        shutil.copyfile(service.path / "vars" / "main.yml", role_dir / "vars" / "main.yml")

    _write(role_dir / "tasks" / "main.yml", _main_tasks(service))
    _write(role_dir / "defaults" / "main.yml", _defaults(service))
    _write(role_dir / "meta" / "main.yml", _yaml(_meta(stack, service)))
    _write(role_dir / "meta" / "argument_specs.yml", _yaml(_argument_specs(service)))
    return role_dir


def build_stack(stack: Stack, out_dir: Path) -> list[Path]:
    """Write the roles of every service and one playbook per service
    (``<out_dir>/playbooks/<stack>_<service>.yml``); return the playbook paths."""
    playbooks = []
    for service in stack.services.values():
        build_role(stack, service, out_dir)
        playbook = Path(out_dir) / "playbooks" / f"{stack.name}_{service.name}.yml"
        _write(playbook, _yaml(_playbook(stack, service)))
        playbooks.append(playbook)
    return playbooks


def build_catalogue(catalogue: Catalogue, out_dir: Path) -> list[Path]:
    """Build every stack of ``catalogue`` into ``out_dir`` and return the playbook paths.

    Role names contain the stack name but not its version, so two versions of one stack
    would overwrite each other's roles. Only the newest version of each stack is built.
    """
    newest: dict[str, Stack] = {}
    for (name, _version), stack in sorted(catalogue.stacks.items(), key=lambda item: version_key(item[0][1])):
        newest[name] = stack
    playbooks = []
    for stack in newest.values():
        playbooks.extend(build_stack(stack, out_dir))
    return playbooks


def role_archive(stack: Stack, service: ServiceDef) -> bytes:
    """Return the built role of ``service`` as a gzip tar archive.

    The archive contains ``<role_name>/...`` with fixed owner, mode and mtime, so equal
    sources give equal bytes. Archives are cached by the digest of the source files.
    """
    key = (stack.name, stack.version, service.name, _source_digest(service))
    with _archive_lock:
        if key in _archive_cache:
            return _archive_cache[key]

    with tempfile.TemporaryDirectory(prefix="stackyard-role-") as temp:
        role_dir = build_role(stack, service, Path(temp))
        data = _tar_gz(role_dir)

    with _archive_lock:
        _archive_cache[key] = data
    return data


def version_key(version: str) -> tuple[Any, ...]:
    return tuple(int(part) if part.isdigit() else part for part in version.split("."))


def _source_digest(service: ServiceDef) -> str:
    digest = hashlib.sha256()
    for folder in (service.path, ROLE_FILES, Path(__file__).parent):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(folder)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _tar_gz(role_dir: Path) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed:
        with tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in [role_dir, *sorted(role_dir.rglob("*"))]:
                info = tar.gettarinfo(str(path), arcname=str(path.relative_to(role_dir.parent)))
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                info.mode = 0o755 if path.is_dir() else 0o644
                if path.is_file():
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    return buffer.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


class _IndentedDumper(yaml.SafeDumper):
    """Indents list items under their key, as yamllint and ansible-lint expect."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _yaml(data: Any) -> str:
    return "---\n" + yaml.dump(data, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False, width=120)


def _component_commands(service: ServiceDef) -> dict[str, list[str]]:
    return {name: list(component.commands) for name, component in service.components.items()}


def _main_tasks(service: ServiceDef) -> str:
    commands_variable = f"{service.name}_component_commands"
    tasks = [
        {
            "name": "Check that the component accepts the command",
            "ansible.builtin.assert": {
                "that": [
                    f"stackyard_component in {commands_variable}",
                    f"stackyard_command in {commands_variable}[stackyard_component]",
                ],
                "fail_msg": (
                    "command {{ stackyard_command }} is not valid for component {{ stackyard_component }}"
                    f" of service {service.name}; valid commands: {{{{ {commands_variable} }}}}"
                ),
                "quiet": True,
            },
        },
        {
            "name": "Run the command",
            "ansible.builtin.include_tasks": "{{ stackyard_command }}.yml",
        },
    ]
    return _yaml(tasks)


def _defaults(service: ServiceDef) -> str:
    """Return defaults/main.yml: property defaults tagged ``!unsafe`` (Ansible never
    evaluates them), then the service metadata and stackyard_* defaults as templates."""
    properties = {
        variable_name(service.name, name): prop.default
        for config in service.configs.values()
        for name, prop in config.properties.items()
    }
    metadata = {
        f"{service.name}_component_commands": _component_commands(service),
        f"{service.name}_packages": service.packages,
        "stackyard_user": service.user,
        "stackyard_group": service.group,
        **STACKYARD_DEFAULTS,
    }
    text = "---\n# Property defaults of the service; !unsafe strings are never templated.\n"
    if properties:
        text += dump_unsafe_yaml(properties)
    text += "\n# Service metadata and defaults of the stackyard_* variables.\n"
    text += yaml.dump(metadata, Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False, width=120)
    return text


def _meta(stack: Stack, service: ServiceDef) -> dict[str, Any]:
    return {
        "galaxy_info": {
            "role_name": service.role_name,
            "namespace": "stackyard",
            "author": "Stackyard",
            "description": f"{service.display_name} {service.version} of stack {stack.name} {stack.version}",
            "license": service.license or "Apache-2.0",
            "min_ansible_version": "2.15",
            "platforms": [{"name": "Debian", "versions": ["bookworm"]}, {"name": "EL", "versions": ["9"]}],
            "galaxy_tags": ["stackyard", *(re.sub(r"[^a-z0-9]", "", tag) for tag in (stack.name, service.name))],
        },
        "dependencies": [],
    }


def _argument_specs(service: ServiceDef) -> dict[str, Any]:
    options: dict[str, Any] = {
        "stackyard_command": {
            "type": "str",
            "required": True,
            "choices": service.commands(),
            "description": "Command to run.",
        },
        "stackyard_component": {
            "type": "str",
            "required": True,
            "choices": list(service.components),
            "description": "Component the command is for.",
        },
        "stackyard_cluster": {"type": "str", "description": "Cluster name."},
        "stackyard_hostname": {"type": "str", "description": "Name of this host as the cluster knows it."},
        "stackyard_component_hosts": {
            "type": "dict",
            "description": "Component name to the sorted list of its hostnames.",
        },
        "stackyard_root_dir": {
            "type": "str",
            "description": "Folder of the service's config, data, logs and pid files.",
        },
        "stackyard_user": {"type": "str", "description": "OS user that runs the service."},
        "stackyard_group": {"type": "str", "description": "OS group that runs the service."},
        "stackyard_repositories": {
            "type": "list",
            "elements": "dict",
            "description": "Package repositories of the cluster.",
        },
    }
    for config in service.configs.values():
        for name, prop in config.properties.items():
            option: dict[str, Any] = {
                "type": _ARGUMENT_TYPES.get(prop.type, "str"),
                "description": f"{config.name} property {name}. {prop.description}".strip(),
            }
            if prop.type == "enum":
                option["choices"] = prop.choices
            if prop.secret:
                option["no_log"] = True
            options[variable_name(service.name, name)] = option
    return {
        "argument_specs": {
            "main": {
                "short_description": f"Install and operate {service.display_name}",
                "description": f"Runs stackyard_command for stackyard_component of {service.display_name}.",
                "options": options,
            }
        }
    }


def _playbook(stack: Stack, service: ServiceDef) -> list[dict[str, Any]]:
    all_components = [name for other in stack.services.values() for name in other.components]
    hosts_expression = ", ".join(
        f"'{name}': groups['{name}'] | default([]) | sort" for name in all_components
    )
    ordered = sorted(service.components.values(), key=lambda component: component.category != "server")
    plays = []
    for component in ordered:
        plays.append(
            {
                "name": f"{component.display_name} of {service.display_name}",
                "hosts": component.name,
                "gather_facts": False,
                "vars": {
                    "stackyard_component": component.name,
                    "stackyard_component_hosts": "{{ {" + hosts_expression + "} }}",
                },
                "roles": [
                    {
                        "role": f"../roles/{service.role_name}",
                        "when": f"stackyard_command in {list(component.commands)}",
                    }
                ],
            }
        )
    return plays
