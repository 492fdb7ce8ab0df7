"""Settings of one agent process."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import ConfigError

DEFAULT_SERVER = "127.0.0.1:8835"
DEFAULT_HEARTBEAT_INTERVAL = 5.0


def default_home() -> Path:
    """Return ``$STACKYARD_HOME/agent``, or ``~/.stackyard/agent`` when the variable is unset."""
    stackyard_home = os.environ.get("STACKYARD_HOME")
    if stackyard_home:
        return Path(stackyard_home) / "agent"
    return Path.home() / ".stackyard" / "agent"


def default_hostname() -> str:
    """Return the fully qualified name of this host, or its short name when the FQDN is unknown."""
    name = socket.getfqdn()
    if not name or name.startswith("localhost"):
        name = socket.gethostname()
    return name


def default_ip_address(hostname: str) -> str:
    """Return the address ``hostname`` resolves to, or 127.0.0.1 when it does not resolve."""
    try:
        return socket.gethostbyname(hostname)
    except OSError:
        return "127.0.0.1"


@dataclass
class AgentConfig:
    """Settings of one agent process.

    ``service_root`` overrides the ``stackyard_root_dir`` role variable of every task. Tests
    set it when several agents share one filesystem, so their services do not collide.
    """

    server: str = DEFAULT_SERVER
    home: Path = field(default_factory=default_home)
    hostname: str = field(default_factory=default_hostname)
    ip_address: str = ""
    service_root: Path | None = None
    heartbeat_interval: float = DEFAULT_HEARTBEAT_INTERVAL
    ca_cert: Path | None = None
    registration_token: str | None = None
    credential_file: Path | None = None

    def __post_init__(self) -> None:
        self.home = Path(self.home).expanduser()
        if self.service_root is not None:
            self.service_root = Path(self.service_root).expanduser()
        if self.ca_cert is not None:
            self.ca_cert = Path(self.ca_cert).expanduser()
        if self.credential_file is None:
            self.credential_file = self.home / "host_credential"
        if not self.ip_address:
            self.ip_address = default_ip_address(self.hostname)
        self.validate()

    def validate(self) -> None:
        """Raise ConfigError for a setting the agent cannot use."""
        host, _, port = self.server.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(
                f"invalid server address {self.server!r}: expected host:port, for example {DEFAULT_SERVER}"
            )
        if self.heartbeat_interval <= 0:
            raise ConfigError(
                f"invalid heartbeat interval {self.heartbeat_interval!r}: expected a number of seconds above 0"
            )
        if self.ca_cert is not None and not self.ca_cert.is_file():
            raise ConfigError(
                f"CA certificate {self.ca_cert} not found: pass the PEM file of the server's CA"
            )

    @property
    def tasks_dir(self) -> Path:
        return self.home / "tasks"

    @property
    def outbox_dir(self) -> Path:
        return self.home / "outbox"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"
