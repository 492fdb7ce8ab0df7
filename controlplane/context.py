"""The objects one server process shares between its HTTP, gRPC and scheduler threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

from controlplane.config import ServerConfig
from controlplane.secrets_store import KeyStore

if TYPE_CHECKING:
    from controlplane.jobs.dispatch import AgentRegistry
    from controlplane.stacks import Catalogue


@dataclass
class ServerContext:
    config: ServerConfig
    keys: KeyStore
    catalogue: Catalogue
    agents: AgentRegistry
    extras: dict = field(default_factory=dict)


def server_context() -> ServerContext:
    return current_app.extensions["stackyard"]
