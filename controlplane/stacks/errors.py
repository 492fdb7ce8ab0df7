"""Exceptions of the stack catalogue."""

from __future__ import annotations

from typing import Any


class StackError(Exception):
    """A stack definition is invalid; the message names the file and the problem."""

    def __init__(self, path: object, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class PropertyError(ValueError):
    """A config property value breaks the rule of its property definition."""

    def __init__(self, property: str, value: Any, rule: str, config_file: str | None = None) -> None:
        subject = f"{config_file} property {property}" if config_file else f"property {property}"
        # Values come from JSON request bodies, so None is shown as JSON null.
        value_text = "null" if value is None else repr(value)
        super().__init__(f"{subject}: value {value_text} is invalid: {rule}")
        self.property = property
        self.value = value
        self.rule = rule
        self.config_file = config_file
