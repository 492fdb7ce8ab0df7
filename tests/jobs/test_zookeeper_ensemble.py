"""A three-host ZooKeeper ensemble on network namespace hosts, added through the REST API."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from stackyard.srvr import four_letter_word
from tests.conftest import service_root
from tests.support.netns import SERVER_ADDRESS, NamespaceNetwork, netns_unavailable_reason
from tests.support.processes import AgentProcess, ServerProcess, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.netns, pytest.mark.skipif(netns_unavailable_reason() is not None, reason=str(netns_unavailable_reason()))]

CLIENT_PORT = 2181


def _kill_pid_file(path: Path) -> None:
    """Kill the daemon whose pid ``path`` stores, so no JVM outlives its namespace."""
    try:
        os.kill(int(path.read_text().strip()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


@pytest.fixture
def ensemble(tmp_path):
    """A server reachable on 198.18.0.1 and one agent in each of three namespace hosts."""
    network = NamespaceNetwork(3).open()
    server = None
    agents = []
    try:
        server = ServerProcess(home=tmp_path / "server", extra_args=["--grpc-host", "0.0.0.0", "--certificate-name", SERVER_ADDRESS]).start()
        for host in network.hosts:
            agent = AgentProcess(
                server=server,
                home=tmp_path / host.namespace / "agent",
                hostname=host.hostname,
                service_root=service_root(tmp_path / host.namespace),
                wrapper=host.wrapper,
                server_address=f"{SERVER_ADDRESS}:{server.grpc_port}",
                ip_address=host.address,
            )
            agents.append(agent.start())
        yield server, network, agents
    finally:
        for agent in agents:
            agent.stop()
            if agent.service_root is not None:
                _kill_pid_file(agent.service_root / "run" / "zookeeper_server.pid")
        if server is not None:
            server.stop()
        network.close()


def test_three_host_ensemble_elects_leader(ensemble, cluster_name):
    server, network, agents = ensemble
    admin = server.client()
    hostnames = [host.hostname for host in network.hosts]
    admin.post("/clusters", {"name": cluster_name, "hosts": hostnames})
    registered = {host["hostname"]: host for host in admin.get("/hosts")}
    assert [registered[name]["ip_address"] for name in hostnames] == [host.address for host in network.hosts]

    job = admin.post("/clusters/" + cluster_name + "/services", {"name": "zookeeper", "components": {"zookeeper_server": hostnames, "zookeeper_client": hostnames[:1]}, "configs": {"zoo.cfg": {"clientPort": CLIENT_PORT}}})
    job = admin.wait_for_job(job["id"], timeout=420)
    assert job["state"] == "SUCCESSFUL", job["message"]

    def modes() -> list[str]:
        found = []
        for host in network.hosts:
            reply = four_letter_word(host.address, CLIENT_PORT, "srvr")
            found += [line.split(": ", 1)[1] for line in reply.splitlines() if line.startswith("Mode: ")]
        return sorted(found)

    assert wait_until(lambda: modes() == ["follower", "follower", "leader"], 60, f"no leader with two followers: {modes()}")

    zoo_cfg = (agents[0].service_root / "zookeeper" / "conf" / "zoo.cfg").read_text()
    for index, name in enumerate(hostnames, start=1):
        assert f"server.{index}={name}:" in zoo_cfg
