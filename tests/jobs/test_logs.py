"""Task logs: live streaming over server-sent events, large output, long lines and invalid UTF-8."""

from __future__ import annotations

import re

import pytest
import requests

from tests.jobs.conftest import add_service, create_cluster, run_action, stage, wait_for_task

pytestmark = pytest.mark.e2e


@pytest.fixture
def noisy(server, agent, admin, cluster_name):
    create_cluster(admin, cluster_name, [agent.hostname])
    job = admin.wait_for_job(add_service(admin, cluster_name, "noisy", {"noisy_client": [agent.hostname]})["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    return cluster_name


def _log_url(server, job_id: int, task_id: int) -> str:
    return f"{server.url}/api/v1/jobs/{job_id}/tasks/{task_id}/log"


def _read_events(response):
    """Yield (event name, data) pairs of a server-sent event stream."""
    name, data = "message", []
    for line in response.iter_lines(decode_unicode=True):
        if line == "":
            if data:
                yield name, "\n".join(data)
            name, data = "message", []
        elif line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])


def test_follow_streams_live_then_ends(server, admin, noisy):
    job = run_action(admin, noisy, "noisy", "drip")
    task = wait_for_task(admin, job["id"], "drip noisy_client", "RUNNING")
    headers = {"Authorization": f"Bearer {admin.token}"}

    lines, states_at_first_line, end = [], [], None
    with requests.get(_log_url(server, job["id"], task["id"]), params={"follow": "true"}, headers=headers, stream=True, timeout=60) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        for name, data in _read_events(response):
            if name == "end":
                end = data
                break
            if not lines:
                states_at_first_line.append(admin.get(f"/jobs/{job['id']}")["state"])
            lines.append(data)

    assert states_at_first_line == ["RUNNING"], "the first line arrived only after the job ended"
    assert end is not None and '"SUCCESSFUL"' in end
    assert any("item=6" in line for line in lines), lines[-5:]
    assert lines == admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log").splitlines()


def test_follow_of_finished_task_returns_all(server, admin, noisy):
    job = admin.wait_for_job(run_action(admin, noisy, "noisy", "drip")["id"], timeout=60)
    task = stage(job, "drip noisy_client")["tasks"][0]
    headers = {"Authorization": f"Bearer {admin.token}"}

    response = requests.get(_log_url(server, job["id"], task["id"]), params={"follow": "true"}, headers=headers, timeout=10)
    events = list(_read_events(response))
    assert events[-1][0] == "end"
    assert [data for name, data in events[:-1]] == admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log").splitlines()
    assert len(events) - 1 == task["log_lines"]


def test_many_lines_arrive_in_order(admin, noisy):
    job = admin.wait_for_job(run_action(admin, noisy, "noisy", "many_lines")["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    task = stage(job, "many_lines noisy_client")["tasks"][0]
    log = admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log")

    numbers = [int(match) for match in re.findall(r'"line-(\d{5})"', log)]
    assert numbers == list(range(1, 20001))
    assert task["log_lines"] == len(log.splitlines())


def test_long_line_truncated_with_marker(admin, noisy):
    job = admin.wait_for_job(run_action(admin, noisy, "noisy", "long_line")["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    task = stage(job, "long_line noisy_client")["tasks"][0]
    log = admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log")

    [long_line] = [line for line in log.splitlines() if "xxxxxxxx" in line]
    marker = re.search(r"\[truncated: (\d+) more characters\]$", long_line)
    assert marker is not None, long_line[-200:]
    kept = long_line[: marker.start()].rstrip(" ")
    assert len(kept) == 64 * 1024
    assert len(kept) + int(marker.group(1)) > 3_000_000
    assert "PLAY RECAP" in log, "lines after the long line are missing"


def test_invalid_utf8_replaced(admin, noisy):
    job = admin.wait_for_job(run_action(admin, noisy, "noisy", "invalid_utf8")["id"], timeout=120)
    assert job["state"] == "SUCCESSFUL", job
    task = stage(job, "invalid_utf8 noisy_client")["tasks"][0]
    log = admin.get(f"/jobs/{job['id']}/tasks/{task['id']}/log")

    [line] = [line for line in log.splitlines() if "before" in line and "after" in line]
    assert "\ufffd" in line


def test_ansible_summary_stored_on_task(admin, noisy):
    job = admin.wait_for_job(run_action(admin, noisy, "noisy", "drip")["id"], timeout=60)
    summary = stage(job, "drip noisy_client")["tasks"][0]["summary"]
    assert set(summary) >= {"ok", "changed", "failed", "unreachable"}
    assert summary["ok"] >= 1
    assert summary["failed"] == 0
    assert summary["unreachable"] == 0
