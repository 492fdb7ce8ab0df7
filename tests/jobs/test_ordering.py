"""Stage order of a job: ordering rules of stack.yaml, parallel stages and isolated tasks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.jobs.conftest import STACKS_FIXTURE, add_service, create_cluster, stage, timestamp
from tests.support.processes import ServerProcess

pytestmark = pytest.mark.e2e

COMPONENTS = ("first_server", "second_server", "third_server")


def test_ordering_rule_orders_stages(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "ordered", {name: [agent.hostname] for name in COMPONENTS})
    positions = {item["name"]: item["position"] for item in job["stages"]}
    configure = sorted(positions[f"configure {name}"] for name in COMPONENTS)

    first, second, third = (stage(job, f"start {name}") for name in COMPONENTS)
    assert sorted(first["depends_on"]) == configure
    assert sorted(second["depends_on"]) == sorted(configure + [positions["start first_server"]])
    assert sorted(third["depends_on"]) == configure

    job = admin.wait_for_job(job["id"], timeout=180)
    assert job["state"] == "SUCCESSFUL", job
    first, second, third = (stage(job, f"start {name}") for name in COMPONENTS)
    assert timestamp(second["started_at"]) >= timestamp(first["ended_at"]), "second_server started before first_server ended"
    assert timestamp(first["started_at"]) < timestamp(third["ended_at"]), "stages without an edge did not overlap"
    assert timestamp(third["started_at"]) < timestamp(first["ended_at"]), "stages without an edge did not overlap"


def test_parallel_tasks_see_own_variables(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = admin.wait_for_job(add_service(admin, cluster_name, "ordered", {name: [agent.hostname] for name in COMPONENTS})["id"], timeout=180)
    assert job["state"] == "SUCCESSFUL", job
    first, third = stage(job, "start first_server"), stage(job, "start third_server")
    assert timestamp(first["started_at"]) < timestamp(third["ended_at"])
    assert timestamp(third["started_at"]) < timestamp(first["ended_at"])

    for component in ("first_server", "third_server"):
        task = stage(job, f"start {component}")["tasks"][0]
        record = json.loads((Path(agent.service_root) / "ordered" / f"{component}.json").read_text())
        assert record["component"] == component
        assert record["task_id"] == task["id"]
        assert record["job_id"] == job["id"]
        assert record["hostname"] == agent.hostname
        assert record["artifacts"] == [f"artifact-{component}"], f"task of {component} saw another task's files"


def test_ordering_cycle_rejected_at_load(tmp_path):
    stack_dir = tmp_path / "stacks"
    shutil.copytree(STACKS_FIXTURE / "jobtest", stack_dir / "cycle")
    stack_file = stack_dir / "cycle" / "1.0" / "stack.yaml"
    stack_file.write_text(
        "name: cycle\n"
        'version: "1.0"\n'
        "ordering:\n"
        "  first_server-START: [second_server-START]\n"
        "  second_server-START: [third_server-START]\n"
        "  third_server-START: [first_server-START]\n"
    )
    server = ServerProcess(home=tmp_path / "server", extra_args=["--stack-dir", str(STACKS_FIXTURE), "--stack-dir", str(stack_dir)]).start()
    try:
        catalogue = server.client().get("/stacks")
    finally:
        server.stop()

    names = {(item["name"], item["version"]) for item in catalogue["stacks"]}
    assert ("jobtest", "1.0") in names, "a valid stack was not loaded next to the broken one"
    assert ("cycle", "1.0") not in names
    [error] = [item for item in catalogue["errors"] if str(stack_file) in item]
    assert "ordering cycle" in error
    for step in ("first_server-START", "second_server-START", "third_server-START"):
        assert step in error
