"""Faults during a job: the server killed or frozen, the agent killed, with real processes."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.jobs.conftest import add_service, create_cluster, kill_task_processes, run_action, stage, task_processes, wait_for_task
from tests.support.processes import wait_until

pytestmark = pytest.mark.e2e


def _start_sleeper(admin, agent, cluster_name: str, seconds: int) -> tuple[dict, dict]:
    create_cluster(admin, cluster_name, [agent.hostname])
    job = add_service(admin, cluster_name, "sleeper", {"sleeper_server": [agent.hostname]}, {"sleeper.conf": {"seconds": seconds}})
    task = wait_for_task(admin, job["id"], "start sleeper_server", "RUNNING")
    wait_until(lambda: task_processes(task["id"], ["sleep", str(seconds)]), 60, f"sleep {seconds} did not start")
    return job, task


def test_server_killed_result_replayed(server, agent, admin, cluster_name):
    job, task = _start_sleeper(admin, agent, cluster_name, 15)

    server.kill()
    outbox_file = agent.home / "outbox" / f"{task['id']}.json"
    wait_until(outbox_file.exists, 60, "the task ended but its result is not in the agent's outbox")
    server.start()
    agent.wait_connected()

    admin = server.client()
    job = admin.wait_for_job(job["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    assert stage(job, "start sleeper_server")["tasks"][0]["state"] == "SUCCESSFUL"
    wait_until(lambda: not outbox_file.exists(), 30, "the agent kept the result after the server acknowledged it")

    later = admin.wait_for_job(run_action(admin, cluster_name, "sleeper", "check")["id"], timeout=60)
    assert later["state"] == "SUCCESSFUL", later


def test_frozen_server_task_succeeds(server, agent, admin, cluster_name):
    job, task = _start_sleeper(admin, agent, cluster_name, 20)

    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        time.sleep(30)
    finally:
        os.kill(server.process.pid, signal.SIGCONT)

    job = admin.wait_for_job(job["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    assert stage(job, "start sleeper_server")["tasks"][0]["state"] == "SUCCESSFUL"


def test_agent_restart_fails_task(server, agent, admin, cluster_name):
    job, task = _start_sleeper(admin, agent, cluster_name, 600)
    try:
        agent.kill()
        agent.start()
        restarted_at = time.monotonic()

        job = admin.wait_for_job(job["id"], timeout=30)
        assert time.monotonic() - restarted_at < 10, "the lost task failed long after the agent came back"
        assert job["state"] == "FAILED", job
        failed = stage(job, "start sleeper_server")["tasks"][0]
        assert failed["state"] == "FAILED"
        assert "agent" in failed["message"], failed["message"]
        assert "restarted" in failed["message"], failed["message"]
    finally:
        kill_task_processes(task["id"])
