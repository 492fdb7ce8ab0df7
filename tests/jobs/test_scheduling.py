"""Job scheduling: one job at a time per cluster in FIFO order, clusters in parallel."""

from __future__ import annotations

import pytest

from tests.conftest import service_root
from tests.jobs.conftest import add_service, create_cluster, run_action, timestamp
from tests.support.processes import AgentProcess, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_agents(server, tmp_path):
    """Two agents on this host under different hostnames, each with its own home and service root."""
    agents = []
    try:
        for name in ("sched-a", "sched-b"):
            agents.append(AgentProcess(server=server, home=tmp_path / name / "agent", hostname=f"{name}.test", service_root=service_root(tmp_path / name)).start())
        yield agents
    finally:
        for agent in agents:
            agent.stop()


def _interval(job: dict) -> tuple:
    return timestamp(job["started_at"]), timestamp(job["ended_at"])


def test_jobs_of_one_cluster_run_fifo(server, two_agents, admin, cluster_name):
    host = two_agents[0].hostname
    create_cluster(admin, cluster_name, [host])
    setup = admin.wait_for_job(add_service(admin, cluster_name, "sleeper", {"sleeper_server": [host]}, {"sleeper.conf": {"seconds": 3}})["id"], timeout=120)
    assert setup["state"] == "SUCCESSFUL", setup

    first = run_action(admin, cluster_name, "sleeper", "start")
    second = run_action(admin, cluster_name, "sleeper", "start")
    wait_until(lambda: admin.get(f"/jobs/{first['id']}")["state"] == "RUNNING", 30, "the first job did not start")
    waiting = admin.get(f"/jobs/{second['id']}")
    assert waiting["state"] == "PENDING", waiting
    assert waiting["queue_position"] == 1, waiting
    assert admin.get(f"/jobs/{first['id']}")["queue_position"] is None

    first = admin.wait_for_job(first["id"], timeout=60)
    second = admin.wait_for_job(second["id"], timeout=60)
    assert first["state"] == second["state"] == "SUCCESSFUL"
    assert _interval(second)[0] >= _interval(first)[1], "the second job started before the first ended"


def test_jobs_of_two_clusters_overlap(server, two_agents, admin, cluster_name):
    clusters = [cluster_name + "a", cluster_name + "b"]
    setups = []
    for cluster, agent in zip(clusters, two_agents, strict=True):
        create_cluster(admin, cluster, [agent.hostname])
        setups.append(add_service(admin, cluster, "sleeper", {"sleeper_server": [agent.hostname]}, {"sleeper.conf": {"seconds": 3}}))
    for job in setups:
        assert admin.wait_for_job(job["id"], timeout=120)["state"] == "SUCCESSFUL"

    jobs = [run_action(admin, cluster, "sleeper", "start") for cluster in clusters]
    first, second = (admin.wait_for_job(job["id"], timeout=60) for job in jobs)
    assert first["state"] == second["state"] == "SUCCESSFUL"
    (start_a, end_a), (start_b, end_b) = _interval(first), _interval(second)
    assert start_a < end_b, f"jobs of two clusters did not overlap: {start_a}-{end_a} and {start_b}-{end_b}"
    assert start_b < end_a, f"jobs of two clusters did not overlap: {start_a}-{end_a} and {start_b}-{end_b}"
