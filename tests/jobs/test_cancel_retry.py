"""Cancel, retry and command timeouts of jobs, with real agents running Ansible roles."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stackyard.client import ApiError
from tests.jobs.conftest import add_service, create_cluster, stage, task_processes, timestamp, wait_for_task
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


def test_cancel_kills_running_task(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "sleeper", {"sleeper_server": [agent.hostname]}, {"sleeper.conf": {"seconds": 600}})
    task = wait_for_task(admin, job["id"], "start sleeper_server", "RUNNING")
    wait_until(lambda: task_processes(task["id"], ["sleep", "600"]), 60, "sleep 600 did not start")

    canceled_at = time.monotonic()
    admin.post(f"/jobs/{job['id']}/cancel")
    wait_until(lambda: not task_processes(task["id"], ["sleep", "600"]), 5, "sleep 600 still runs 5 s after the cancel")
    assert time.monotonic() - canceled_at < 5

    job = admin.wait_for_job(job["id"], timeout=30)
    assert job["state"] == "CANCELED", job
    assert stage(job, "install sleeper_server")["state"] == "SUCCESSFUL"
    for name in ("start sleeper_server", "check sleeper_server"):
        assert stage(job, name)["state"] == "CANCELED", job
        assert [item["state"] for item in stage(job, name)["tasks"]] == ["CANCELED"], job
    assert task_processes(task["id"]) == [], "a process of the canceled task is still running"


def test_cancel_of_finished_job_is_conflict(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "sleeper", {"sleeper_server": [agent.hostname]}, {"sleeper.conf": {"seconds": 0}})
    job = admin.wait_for_job(job["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job

    with pytest.raises(ApiError) as error:
        admin.post(f"/jobs/{job['id']}/cancel")
    assert error.value.status == 409
    assert "already ended" in error.value.body["message"]


def test_retry_runs_from_failed_stage(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "flaky", {"flaky_server": [agent.hostname]})
    failed = admin.wait_for_job(job["id"], timeout=120)
    assert failed["state"] == "FAILED", failed
    assert stage(failed, "check flaky_server")["state"] == "FAILED"
    assert "ready is missing" in stage(failed, "check flaky_server")["tasks"][0]["message"]
    counter = Path(agent.service_root) / "flaky" / "install.count"
    assert counter.read_text().split() == [str(stage(failed, "install flaky_server")["tasks"][0]["id"])]

    (Path(agent.service_root) / "flaky" / "ready").write_text("")
    admin.post(f"/jobs/{job['id']}/retry")
    retried = admin.wait_for_job(job["id"], timeout=120)

    assert retried["state"] == "SUCCESSFUL", retried
    assert len(counter.read_text().split()) == 1, "install ran again on retry"
    for name in ("install flaky_server", "configure flaky_server", "start flaky_server"):
        before, after = stage(failed, name)["tasks"][0], stage(retried, name)["tasks"][0]
        assert after["id"] == before["id"]
        assert after["started_at"] == before["started_at"], f"stage {name!r} ran again on retry"
    check_before, check_after = stage(failed, "check flaky_server")["tasks"][0], stage(retried, "check flaky_server")["tasks"][0]
    assert check_after["state"] == "SUCCESSFUL"
    assert timestamp(check_after["started_at"]) > timestamp(check_before["ended_at"])


def test_retry_of_successful_job_is_conflict(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = admin.wait_for_job(add_service(admin, cluster_name, "sleeper", {"sleeper_server": [agent.hostname]}, {"sleeper.conf": {"seconds": 0}})["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job

    with pytest.raises(ApiError) as error:
        admin.post(f"/jobs/{job['id']}/retry")
    assert error.value.status == 409


def test_command_timeout_fails_and_kills(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "stuck", {"stuck_server": [agent.hostname]})
    task = wait_for_task(admin, job["id"], "start stuck_server", "RUNNING")

    job = admin.wait_for_job(job["id"], timeout=60)
    assert job["state"] == "FAILED", job
    start = stage(job, "start stuck_server")
    assert start["state"] == "FAILED"
    assert "timed out after 3 s" in start["tasks"][0]["message"]
    assert "timed out" in job["message"]
    duration = timestamp(start["tasks"][0]["ended_at"]) - timestamp(start["tasks"][0]["started_at"])
    assert duration.total_seconds() < 20, f"the 3 s timeout took {duration}"
    assert task_processes(task["id"]) == [], "a process of the timed out task is still running"
