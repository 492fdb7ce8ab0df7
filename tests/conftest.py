"""Fixtures shared by every test folder: a real server and a real agent on this host."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path

import pytest

from tests.support.processes import AgentProcess, ServerProcess, kill_processes_mentioning


@pytest.fixture(scope="session", autouse=True)
def no_leftover_processes_at_end(tmp_path_factory):
    """At the end of the run, kill anything still running from pytest's base folder, module fixtures included."""
    yield
    kill_processes_mentioning(str(tmp_path_factory.getbasetemp()))


@pytest.fixture(autouse=True)
def no_leftover_processes(tmp_path):
    """After each test, kill anything still running from the test's folder (servers, agents, services)."""
    yield
    kill_processes_mentioning(str(tmp_path))


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(home=tmp_path / "server").start()
    yield process
    process.stop()


def service_root(tmp_path: Path) -> Path:
    """Return a folder for service files that the services' own OS users can reach.

    pytest makes its temporary folders mode 0700, but ZooKeeper and the other services run as
    their own users, so every folder above the service root gets search permission.
    """
    root = tmp_path / "services"
    root.mkdir(parents=True, exist_ok=True)
    for folder in [root, *root.parents]:
        if folder == Path("/tmp") or folder == Path("/"):
            break
        folder.chmod(folder.stat().st_mode | 0o755)
    return root


@pytest.fixture
def agent(server, tmp_path):
    process = AgentProcess(server=server, home=tmp_path / "agent", hostname=socket.gethostname(), service_root=service_root(tmp_path)).start()
    yield process
    process.stop()


@pytest.fixture
def admin(server):
    return server.client()


@pytest.fixture
def cluster_name():
    return "c" + uuid.uuid4().hex[:8]
