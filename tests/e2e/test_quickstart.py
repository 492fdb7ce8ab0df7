"""The quickstart command: server, agent, cluster demo and a running ZooKeeper, then --stop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stackyard.srvr import four_letter_word
from tests.conftest import service_root
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e


def test_quickstart_runs_and_stops(tmp_path):
    ports = [str(free_port()) for _ in range(3)]
    zookeeper_port = int(ports[2])
    command = [sys.executable, "-m", "stackyard.cli", "quickstart", "--http-port", ports[0], "--grpc-port", ports[1], "--zookeeper-port", ports[2], "--root-dir", str(service_root(tmp_path))]
    env = dict(os.environ, STACKYARD_HOME=str(tmp_path / "home"))
    env.pop("STACKYARD_ADMIN_PASSWORD", None)

    first = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Mode: standalone" in first.stdout
    assert f"http://127.0.0.1:{ports[0]}/api/v1/openapi.json" in first.stdout
    password = (tmp_path / "home" / "admin-password").read_text().strip()
    assert f"admin / {password}" in first.stdout
    assert "Mode: standalone" in four_letter_word("127.0.0.1", zookeeper_port, "srvr")

    second = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "starting the server" not in second.stdout
    assert "Mode: standalone" in second.stdout

    stop = subprocess.run([*command, "--stop"], capture_output=True, text=True, timeout=300, env=env)
    assert stop.returncode == 0, stop.stdout + stop.stderr
    assert "stop ZooKeeper SUCCESSFUL" in stop.stdout
    with pytest.raises(OSError):
        four_letter_word("127.0.0.1", zookeeper_port, "srvr", timeout=2)
    assert not (tmp_path / "home" / "server.pid").exists()
