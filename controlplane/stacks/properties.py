"""Property types of service config files and validation of their values."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from controlplane.stacks.errors import PropertyError

PROPERTY_TYPES = ("string", "int", "bool", "port", "path", "host", "password", "longtext", "enum")

# Types whose values are strings that are kept on one line (config file formats such as
# zoo.cfg or server.properties end a value at the line end).
_ONE_LINE_TYPES = ("string", "path", "host", "password", "enum")

# Types that accept a ``pattern`` key: a regular expression the whole value must match.
_PATTERN_TYPES = ("string", "password", "longtext")

_PROPERTY_KEYS = {"type", "default", "description", "minimum", "maximum", "choices", "required", "pattern"}

# Top-level system folders. A path property may not name one of them or a folder directly
# under one, because uninstall removes data folders and /var/lib or /etc/ssl must survive.
_SYSTEM_FOLDERS = frozenset(
    ("bin", "boot", "dev", "etc", "home", "lib", "lib64", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var")
)
# Virtual file systems never hold service data, and /proc/self/root links to /.
_VIRTUAL_FOLDERS = frozenset(("dev", "proc", "sys"))

# The forms that os.path.expandvars expands ($NAME and ${NAME}). Ansible modules expand
# them in every path argument, so such a path would name a different folder on the host.
_ENVIRONMENT_VARIABLE = re.compile(r"\$(\w|\{)")

# One label of a DNS host name (RFC 1123): letters, digits and inner hyphens.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

_TRUE_WORDS = {"true", "yes", "on", "1"}
_FALSE_WORDS = {"false", "no", "off", "0"}

# Every character that is not valid in an Ansible variable name becomes "_".
_NOT_IN_VARIABLE_NAME = re.compile(r"[^A-Za-z0-9_]")


def variable_name(service: str, property_name: str) -> str:
    """Return the role variable of a property: ``<service>_<property>`` with every
    character outside ``[A-Za-z0-9_]`` replaced by ``_``.

    For example ``autopurge.snapRetainCount`` of ``zookeeper`` becomes
    ``zookeeper_autopurge_snapRetainCount``.
    """
    return f"{service}_{_NOT_IN_VARIABLE_NAME.sub('_', property_name)}"


@dataclass
class Property:
    """One property of a config file."""

    name: str
    type: str
    default: Any = None
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: list[str] = field(default_factory=list)
    required: bool = False
    pattern: str | None = None

    @property
    def secret(self) -> bool:
        return self.type == "password"

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this property's type, or raise PropertyError.

        None (JSON null) is invalid for every type, because a role would write it as an
        empty value such as ``tickTime=``.
        """
        if value is None:
            raise PropertyError(self.name, value, "a value is required" if self.required else self._type_rule())
        if self.type in ("int", "port"):
            return self._validate_int(value)
        if self.type == "bool":
            return self._validate_bool(value)
        return self._validate_string(value)

    def _type_rule(self) -> str:
        if self.type in ("int", "port"):
            return self._range_rule()
        if self.type == "bool":
            return "must be true or false"
        if self.type == "path":
            return "must be a non-empty path"
        if self.type == "host":
            return _HOST_RULE
        if self.type == "enum":
            return f"must be one of {', '.join(self.choices)}"
        return "must be a string"

    def _range_rule(self) -> str:
        low, high = self.minimum, self.maximum
        if self.type == "port":
            low = 1 if low is None else low
            high = 65535 if high is None else high
        if low is not None and high is not None:
            return f"must be an integer between {low} and {high}"
        if low is not None:
            return f"must be an integer of at least {low}"
        if high is not None:
            return f"must be an integer of at most {high}"
        return "must be an integer"

    def _validate_int(self, value: Any) -> int:
        rule = self._range_rule()
        if isinstance(value, bool):
            raise PropertyError(self.name, value, rule)
        if isinstance(value, int):
            number = value
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            number = int(value)
        else:
            raise PropertyError(self.name, value, rule)

        low, high = self.minimum, self.maximum
        if self.type == "port":
            low = 1 if low is None else low
            high = 65535 if high is None else high
        if (low is not None and number < low) or (high is not None and number > high):
            raise PropertyError(self.name, value, rule)
        return number

    def _validate_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            word = value.strip().lower()
            if word in _TRUE_WORDS:
                return True
            if word in _FALSE_WORDS:
                return False
        raise PropertyError(self.name, value, "must be true or false")

    def _validate_string(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise PropertyError(self.name, value, "must be a string")
        text = str(value)
        if "\x00" in text:
            raise PropertyError(self.name, value, "must not contain a NUL character")
        if self.type in _ONE_LINE_TYPES and ("\n" in text or "\r" in text):
            raise PropertyError(self.name, value, "must be a single line")
        if self.required and not text.strip():
            raise PropertyError(self.name, value, "a value is required")
        if self.type == "path":
            problem = path_problem(text)
            if problem:
                raise PropertyError(self.name, value, problem)
        if self.type == "host" and not is_host(text):
            raise PropertyError(self.name, value, _HOST_RULE)
        if self.type == "enum" and text not in self.choices:
            raise PropertyError(self.name, value, f"must be one of {', '.join(self.choices)}")
        if self.pattern is not None and not re.fullmatch(self.pattern, text):
            raise PropertyError(self.name, value, f"must match the regular expression {self.pattern}")
        return text


_HOST_RULE = "must be an IP address or a host name"


def is_host(text: str) -> bool:
    """Return whether ``text`` is an IPv4 or IPv6 address or a DNS host name."""
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    name = text.removesuffix(".")
    if not name or len(name) > 253:
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in name.split("."))


def path_problem(text: str) -> str | None:
    """Return the rule that the path ``text`` breaks, or None for a valid path.

    A relative path is resolved under stackyard_root_dir by the roles. An absolute path
    must not be /, a top-level folder, a system folder such as /etc or a folder directly
    under one such as /var/lib, because uninstall may remove it. Deeper folders such as
    /var/lib/zookeeper or /data/zookeeper are valid.
    """
    if not text.strip():
        return "must be a non-empty path"
    if text != text.strip():
        return "must not start or end with white space"
    if _ENVIRONMENT_VARIABLE.search(text):
        return "must not contain $NAME or ${NAME}, because Ansible expands environment variables in paths"

    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        return "must not contain a .. component"
    if not text.startswith("/"):
        if not parts:
            return "must name a folder below stackyard_root_dir, not the root folder itself"
        return None

    if not parts:
        return "must not be the root folder /"
    top = parts[0]
    if top in _VIRTUAL_FOLDERS:
        return f"must not be under /{top}, a virtual file system"
    if top in _SYSTEM_FOLDERS and len(parts) <= 2:
        return f"must not be a system folder or a folder directly under one (/{top}). Use a deeper folder such as /{top}/<folder>/<service>"
    if len(parts) == 1:
        return "must not be a folder directly under /. Use a deeper folder such as /data/<service>"
    return None


def property_from_mapping(name: str, data: Any) -> Property:
    """Build a Property from its YAML mapping; raise ValueError naming the problem."""
    if not isinstance(data, dict):
        raise ValueError(f"property {name}: expected a mapping, got {type(data).__name__}")
    unknown_keys = set(data) - _PROPERTY_KEYS
    if unknown_keys:
        raise ValueError(f"property {name}: unknown keys {', '.join(sorted(unknown_keys))}")

    type_name = data.get("type", "string")
    if type_name not in PROPERTY_TYPES:
        raise ValueError(
            f"property {name}: unknown property type {type_name!r}; use one of {', '.join(PROPERTY_TYPES)}"
        )
    choices = data.get("choices") or []
    if type_name == "enum" and not choices:
        raise ValueError(f"property {name}: type enum needs a non-empty choices list")
    if "default" not in data and not data.get("required"):
        raise ValueError(f"property {name}: set a default or required: true, because null is not a valid value")
    pattern = data.get("pattern")
    if pattern is not None:
        _check_pattern(name, type_name, pattern)

    prop = Property(
        name=name,
        type=type_name,
        description=str(data.get("description", "")),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        choices=[str(choice) for choice in choices],
        required=bool(data.get("required", False)),
        pattern=pattern,
    )
    try:
        prop.default = prop.validate(data.get("default")) if "default" in data else None
    except PropertyError as error:
        raise ValueError(f"property {name}: invalid default: {error}") from error
    return prop


def _check_pattern(name: str, type_name: str, pattern: Any) -> None:
    if type_name not in _PATTERN_TYPES:
        raise ValueError(f"property {name}: key pattern is only valid for types {', '.join(_PATTERN_TYPES)}")
    if not isinstance(pattern, str):
        raise ValueError(f"property {name}: pattern must be a string, got {type(pattern).__name__}")
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"property {name}: invalid pattern {pattern!r}: {error}") from error
