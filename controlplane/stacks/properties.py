"""Property types of service config files and validation of their values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from controlplane.stacks.errors import PropertyError

PROPERTY_TYPES = ("string", "int", "bool", "port", "path", "password", "longtext", "enum")

# Types whose values are strings that are kept on one line (config file formats such as
# zoo.cfg or server.properties end a value at the line end).
_ONE_LINE_TYPES = ("string", "path", "password", "enum")

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

    @property
    def secret(self) -> bool:
        return self.type == "password"

    def validate(self, value: Any) -> Any:
        """Return ``value`` converted to this property's type, or raise PropertyError."""
        if value is None:
            if self.required:
                raise PropertyError(self.name, value, "a value is required")
            return None
        if self.type in ("int", "port"):
            return self._validate_int(value)
        if self.type == "bool":
            return self._validate_bool(value)
        return self._validate_string(value)

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
        if self.type == "path" and not text.strip():
            raise PropertyError(self.name, value, "must be a non-empty path")
        if self.type == "enum" and text not in self.choices:
            raise PropertyError(self.name, value, f"must be one of {', '.join(self.choices)}")
        return text


def property_from_mapping(name: str, data: Any) -> Property:
    """Build a Property from its YAML mapping; raise ValueError naming the problem."""
    if not isinstance(data, dict):
        raise ValueError(f"property {name}: expected a mapping, got {type(data).__name__}")
    unknown_keys = set(data) - {"type", "default", "description", "minimum", "maximum", "choices", "required"}
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

    prop = Property(
        name=name,
        type=type_name,
        description=str(data.get("description", "")),
        minimum=data.get("minimum"),
        maximum=data.get("maximum"),
        choices=[str(choice) for choice in choices],
        required=bool(data.get("required", False)),
    )
    try:
        prop.default = prop.validate(data.get("default")) if "default" in data else None
    except PropertyError as error:
        raise ValueError(f"property {name}: invalid default: {error}") from error
    return prop
