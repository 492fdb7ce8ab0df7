"""Write Ansible variables files whose strings Ansible never evaluates as templates.

Ansible renders every string it loads from a variables file as a Jinja2 template, so a
config value such as ``{{ lookup('pipe', 'id') }}`` would run a command on the host.
Ansible's YAML loader reads the ``!unsafe`` tag as "plain data, never template it", and
this module tags every string that way.
"""

from __future__ import annotations

from typing import Any

import yaml


class _UnsafeString(str):
    """A string that the dumper writes with the ``!unsafe`` tag."""


class _UnsafeDumper(yaml.SafeDumper):
    pass


def _represent_unsafe(dumper: yaml.SafeDumper, value: _UnsafeString) -> yaml.Node:
    return dumper.represent_scalar("!unsafe", str(value), style="'")


_UnsafeDumper.add_representer(_UnsafeString, _represent_unsafe)


def _mark_strings(value: Any) -> Any:
    if isinstance(value, str):
        return _UnsafeString(value)
    if isinstance(value, dict):
        return {str(key): _mark_strings(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_strings(item) for item in value]
    return value


def dump_unsafe_yaml(variables: dict[str, Any]) -> str:
    """Return ``variables`` as YAML with every string value tagged ``!unsafe``."""
    return yaml.dump(_mark_strings(variables), Dumper=_UnsafeDumper, sort_keys=True, allow_unicode=True)
