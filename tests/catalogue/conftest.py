"""Shared pieces of the catalogue tests: a real server with real agents, kept for a whole module."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from stackyard.client import StackyardClient
from tests.conftest import service_root
from tests.support.processes import AgentProcess, ServerProcess

TEST_STACKS = Path(__file__).parent / "stacks"
EXAMPLE_STACKS = Path(__file__).parents[2] / "examples" / "stacks"


@dataclass
class Deployment:
    """One server and its agents; agent ``i`` keeps its service files under ``roots[i]``."""

    server: ServerProcess
    agents: list[AgentProcess] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)

    @property
    def admin(self) -> StackyardClient:
        return self.server.client()

    @property
    def hostnames(self) -> list[str]:
        return [agent.hostname for agent in self.agents]

    def stop(self) -> None:
        for agent in self.agents:
            agent.stop()
        self.server.stop()


def start_deployment(base: Path, agent_count: int, extra_args: list[str] | None = None) -> Deployment:
    """Start a server and ``agent_count`` agents. The first agent uses this host's name, so
    services that connect to it by name reach loopback; the others get made-up names."""
    deployment = Deployment(server=ServerProcess(home=base / "server", extra_args=list(extra_args or [])).start())
    try:
        for index in range(agent_count):
            hostname = socket.gethostname() if index == 0 else f"catalogue-host{index}-{uuid.uuid4().hex[:6]}"
            root = service_root(base / f"host{index}")
            agent = AgentProcess(server=deployment.server, home=base / f"agent{index}", hostname=hostname, service_root=root)
            deployment.agents.append(agent.start())
            deployment.roots.append(root)
    except BaseException:
        deployment.stop()
        raise
    return deployment


def new_cluster_name() -> str:
    return "c" + uuid.uuid4().hex[:8]


def api_error(client: StackyardClient, method: str, path: str, body=None):
    """Send a request that must fail; return (status, JSON body)."""
    response = client.session.request(method, f"{client.base_url}/api/v1{path}", headers=client._headers(), json=body, timeout=30)
    assert response.status_code >= 400, f"{method} {path} returned {response.status_code}: {response.text[:500]}"
    return response.status_code, response.json()
