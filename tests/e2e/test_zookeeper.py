"""Add ZooKeeper through the REST API and get a real server, started by the agent's Ansible role."""

from __future__ import annotations

import pytest

from stackyard.srvr import four_letter_word
from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.e2e

HOSTILE = "{{ lookup('pipe', 'id') }}"


def test_add_zookeeper_serves_srvr(server, agent, admin, cluster_name, tmp_path):
    port = free_port()
    admin.post("/clusters", {"name": cluster_name, "hosts": [agent.hostname]})
    job = admin.post(
        "/clusters/" + cluster_name + "/services",
        {
            "name": "zookeeper",
            "components": {"zookeeper_server": [agent.hostname], "zookeeper_client": [agent.hostname]},
            "configs": {"zoo.cfg": {"clientPort": port, "4lw.commands.whitelist": "srvr, ruok, mntr, " + HOSTILE}},
        },
    )
    assert [stage["command"] for stage in job["stages"]] == ["install", "install", "configure", "configure", "start", "check"]

    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job
    assert "Mode: standalone" in four_letter_word("127.0.0.1", port, "srvr")

    zoo_cfg = (tmp_path / "services" / "zookeeper" / "conf" / "zoo.cfg").read_text()
    assert HOSTILE in zoo_cfg
    assert "uid=" not in zoo_cfg

    task = job["stages"][-1]["tasks"][0]
    assert task["summary"].get("failed", 0) == 0
    log = admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log")
    assert "PLAY RECAP" in log

    service = wait_until(lambda: (found := admin.get(f"/clusters/{cluster_name}/services/zookeeper"))["status"] == "RUNNING" and found, 20, "ZooKeeper not reported RUNNING")
    states = {(item["component"], item["state"]) for item in service["components"]}
    assert ("zookeeper_server", "STARTED") in states
    assert ("zookeeper_client", "INSTALLED") in states

    restart = admin.wait_for_job(admin.post(f"/clusters/{cluster_name}/actions", {"action": "restart"})["id"], timeout=120)
    assert restart["state"] == "SUCCESSFUL", restart
    assert [stage["name"] for stage in restart["stages"]] == ["stop zookeeper_server", "start zookeeper_server"]
    assert "Mode: standalone" in four_letter_word("127.0.0.1", port, "srvr")

    stop = admin.wait_for_job(admin.post(f"/clusters/{cluster_name}/services/zookeeper/actions", {"action": "stop"})["id"], timeout=120)
    assert stop["state"] == "SUCCESSFUL", stop
    with pytest.raises(OSError):
        four_letter_word("127.0.0.1", port, "srvr", timeout=2)
