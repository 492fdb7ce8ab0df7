"""Exceptions raised by the agent."""

from __future__ import annotations


class AgentError(Exception):
    """Base class of the agent's errors."""


class ConfigError(AgentError):
    """An invalid agent setting, for example a server address without a port."""


class RoleArchiveError(AgentError):
    """A role archive that cannot be unpacked safely."""


class EnrollError(AgentError):
    """Enrolment with a registration token failed."""
