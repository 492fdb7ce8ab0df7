"""Server settings: where the server keeps its files and which ports it listens on."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# Stacks that ship with Stackyard, found next to the package in a source checkout.
BUILTIN_STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"


def default_home() -> Path:
    """Return $STACKYARD_HOME, or ~/.stackyard when it is not set."""
    configured = os.environ.get("STACKYARD_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path.home() / ".stackyard"


@dataclass
class ServerConfig:
    home: Path = field(default_factory=default_home)
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_host: str = "127.0.0.1"
    grpc_port: int = 8835
    # Any URL peewee's db_url understands; empty means SQLite in <home>/stackyard.db.
    database_url: str = ""
    stack_dirs: list[Path] = field(default_factory=lambda: [BUILTIN_STACKS_DIR])
    # Seconds between agent heartbeats; an agent silent for three intervals is disconnected.
    heartbeat_interval: int = 5
    # Lifetime of a login token in seconds.
    session_lifetime: int = 12 * 3600
    # Failed logins of one user or one address are counted over this many seconds.
    login_failure_window: int = 15 * 60
    # Failures in the window after which each login attempt first waits login_delay seconds.
    login_slow_after: int = 3
    # Failures in the window after which logins are rejected with 429.
    login_reject_after: int = 10
    login_delay: float = 1.0
    # Limits per client address are higher than per user, because many users may share one
    # address, such as a proxy or a single-host setup. Both limits slow down, then reject.
    login_address_slow_after: int = 10
    login_address_reject_after: int = 50
    # Largest accepted request body in bytes.
    max_body_bytes: int = 1024 * 1024
    # Serve gRPC with TLS from the server's own certificate authority.
    grpc_tls: bool = True
    # Extra names and addresses put in the server certificate besides localhost and the grpc host.
    certificate_names: list[str] = field(default_factory=list)
    # Folder of a local transformers text-generation model for advice summaries; None disables them.
    assistant_model: Path | None = None

    @property
    def sqlite_path(self) -> Path:
        return self.home / "stackyard.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def pki_dir(self) -> Path:
        return self.home / "pki"
