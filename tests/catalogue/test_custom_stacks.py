"""Stacks from --stack-dir: a user's example service, custom commands and rolling apply batches.

One server started with the test stack and the example stack, and three agents, serve the
whole module.
"""

from __future__ import annotations

import time
from datetime import datetime

import pytest
import requests

from tests.catalogue.conftest import EXAMPLE_STACKS, TEST_STACKS, api_error, new_cluster_name, start_deployment
from tests.support.processes import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = start_deployment(
        tmp_path_factory.mktemp("custom-stacks"), agent_count=3, extra_args=["--stack-dir", str(TEST_STACKS), "--stack-dir", str(EXAMPLE_STACKS)]
    )
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def marker(deployment):
    """Add the marker service of the test stack: a server on the first two hosts, a client on the first."""
    admin = deployment.admin
    cluster = new_cluster_name()
    hosts = deployment.hostnames[:2]
    admin.post("/clusters", {"name": cluster, "stack_name": "testing", "stack_version": "1.0", "hosts": hosts})
    job = admin.post(f"/clusters/{cluster}/services", {"name": "marker", "components": {"marker_server": hosts, "marker_client": hosts[:1]}})
    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job
    yield {"cluster": cluster, "base": f"/clusters/{cluster}/services/marker"}
    admin.post(f"/clusters/{cluster}/services/marker/actions", {"action": "stop"})


def _stack(catalogue: dict, name: str) -> dict:
    return next(stack for stack in catalogue["stacks"] if stack["name"] == name)


def _component(stack: dict, service: str, component: str) -> dict:
    definition = next(item for item in stack["services"] if item["name"] == service)
    return next(item for item in definition["components"] if item["name"] == component)


def test_stacks_list_custom_commands_per_component(deployment):
    catalogue = deployment.admin.get("/stacks")

    assert catalogue["errors"] == []
    bigtop = _stack(catalogue, "bigtop")
    assert _component(bigtop, "hdfs", "namenode")["custom_commands"] == ["decommission_datanode", "rebalance"]
    for component in ("datanode", "secondarynamenode", "hdfs_client"):
        assert _component(bigtop, "hdfs", component)["custom_commands"] == [], component
    testing = _stack(catalogue, "testing")
    assert _component(testing, "marker", "marker_server")["custom_commands"] == ["write_marker"]
    assert _component(testing, "marker", "marker_client")["custom_commands"] == []
    assert {stack["name"] for stack in catalogue["stacks"]} >= {"bigtop", "infra", "testing", "example"}


def test_custom_command_runs_on_owner_only(deployment, marker):
    admin = deployment.admin
    service = admin.get(marker["base"])
    assert service["custom_commands"] == [{"name": "write_marker", "component": "marker_server", "description": "Write write_marker.done under the root folder."}]

    job = admin.post(f"{marker['base']}/actions", {"action": "write_marker"})
    assert [(stage["component"], stage["command"]) for stage in job["stages"]] == [("marker_server", "write_marker")]
    job = admin.wait_for_job(job["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job

    for hostname, root in zip(deployment.hostnames[:2], deployment.roots[:2], strict=True):
        assert (root / "marker" / "write_marker.done").read_text() == f"marker_server on {hostname}\n"

    status, body = api_error(admin, "POST", f"{marker['base']}/actions", {"action": "rebalance"})
    assert status == 400
    assert body["field"] == "action"
    assert "write_marker" in body["message"]


def test_bad_enum_rejected(deployment, marker):
    admin = deployment.admin
    before = admin.get(f"{marker['base']}/configs")

    status, body = api_error(admin, "POST", f"{marker['base']}/configs", {"configs": {"marker": {"mode": "loud"}}, "message": "bad"})

    assert status == 400
    assert "mode" in body["message"]
    assert "'loud'" in body["message"]
    assert "steady" in body["message"]
    assert admin.get(f"{marker['base']}/configs") == before


def test_apply_stops_at_failed_batch(deployment, marker):
    admin = deployment.admin
    first, second = sorted(zip(deployment.hostnames[:2], deployment.roots[:2], strict=True))
    admin.post(f"{marker['base']}/configs", {"configs": {"marker": {"label": "second"}}, "message": "new label"})
    fail_file = first[1] / "fail-start"
    fail_file.write_text("")
    try:
        job = admin.wait_for_job(admin.post(f"{marker['base']}/configs/apply", {"batch_size": 1})["id"], timeout=300)
    finally:
        fail_file.unlink()

    assert job["state"] == "FAILED"
    batches = [(stage["command"], [task["host"] for task in stage["tasks"]], stage["state"]) for stage in job["stages"] if stage["command"] in ("stop", "start")]
    assert batches == [
        ("stop", [first[0]], "SUCCESSFUL"),
        ("start", [first[0]], "FAILED"),
        ("stop", [second[0]], "CANCELED"),
        ("start", [second[0]], "CANCELED"),
    ]
    assert (second[1] / "marker" / "configured.txt").read_text() == "second\n"
    assert admin.get(marker["base"])["restart_required"] is True


def test_apply_pauses_between_batches(deployment, marker):
    admin = deployment.admin
    pause = 6
    job = admin.wait_for_job(admin.post(f"{marker['base']}/configs/apply", {"batch_size": 1, "pause_seconds": pause})["id"], timeout=300)

    assert job["state"] == "SUCCESSFUL", job
    stages = [stage for stage in job["stages"] if stage["command"] in ("stop", "start")]
    first_start, second_stop = stages[1], stages[2]
    assert (first_start["command"], second_stop["command"]) == ("start", "stop")
    waited = datetime.fromisoformat(second_stop["started_at"]) - datetime.fromisoformat(first_start["ended_at"])
    assert waited.total_seconds() >= pause
    assert admin.get(marker["base"])["restart_required"] is False

    status, body = api_error(admin, "POST", f"{marker['base']}/configs/apply", {"batch_size": 1, "pause_seconds": -1})
    assert status in (400, 422)
    assert "pause_seconds" in str(body)


def test_example_service_runs(deployment):
    admin = deployment.admin
    catalogue = admin.get("/stacks")
    example = _stack(catalogue, "example")
    assert [service["name"] for service in example["services"]] == ["hello"]

    cluster = new_cluster_name()
    port = free_port()
    host = deployment.hostnames[2]
    admin.post("/clusters", {"name": cluster, "stack_name": "example", "stack_version": "1.0", "hosts": [host]})
    job = admin.post(f"/clusters/{cluster}/services", {"name": "hello", "components": {"hello_server": [host]}, "configs": {"index.html": {"port": port, "greeting": "Hi <there>"}}})
    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job

    try:
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 200
        assert "Hi &lt;there&gt;" in page.text
    finally:
        stop = admin.wait_for_job(admin.post(f"/clusters/{cluster}/services/hello/actions", {"action": "stop"})["id"], timeout=120)
    assert stop["state"] == "SUCCESSFUL", stop
    time.sleep(0.5)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=5)
