"""Fixtures of the job engine tests: a real server that also loads the test-only stack ``jobtest``."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from stackyard.client import StackyardClient
from tests.support.processes import ServerProcess, wait_until

STACKS_FIXTURE = Path(__file__).resolve().parent.parent / "stacks_fixture"
PROC = Path("/proc")


@pytest.fixture
def server(tmp_path):
    process = ServerProcess(home=tmp_path / "server", extra_args=["--stack-dir", str(STACKS_FIXTURE)]).start()
    yield process
    process.stop()


def create_cluster(admin: StackyardClient, name: str, hosts: list[str]) -> dict:
    return admin.post("/clusters", {"name": name, "hosts": hosts, "stack_name": "jobtest", "stack_version": "1.0"})


def add_service(admin: StackyardClient, cluster: str, service: str, components: dict[str, list[str]], configs: dict | None = None) -> dict:
    return admin.post(f"/clusters/{cluster}/services", {"name": service, "components": components, "configs": configs or {}})


def run_action(admin: StackyardClient, cluster: str, service: str, action: str) -> dict:
    return admin.post(f"/clusters/{cluster}/services/{service}/actions", {"action": action})


def stage(job: dict, name: str) -> dict:
    """Return the stage called ``name`` (for example "start sleeper_server") of ``job``."""
    matches = [item for item in job["stages"] if item["name"] == name]
    assert len(matches) == 1, f"job {job['id']} has no single stage {name!r}: {[item['name'] for item in job['stages']]}"
    return matches[0]


def timestamp(value: str) -> datetime:
    return datetime.fromisoformat(value)


def wait_for_task(admin: StackyardClient, job_id: int, stage_name: str, state: str, timeout: float = 120) -> dict:
    """Wait until the first task of ``stage_name`` is in ``state``; return that task."""

    def reached():
        task = stage(admin.get(f"/jobs/{job_id}"), stage_name)["tasks"][0]
        return task if task["state"] == state else None

    return wait_until(reached, timeout, f"task of stage {stage_name!r} in job {job_id} did not become {state}")


def task_processes(task_id: int, command: list[str] | None = None) -> list[int]:
    """Return the pids that run ``command`` (any command when None) for task ``task_id``, found by the agent's marker."""
    suffix = f"-{task_id}".encode()
    pids = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state in ("Z", "X"):
            continue
        marked = any(item.startswith(b"STACKYARD_TASK_MARKER=") and item.endswith(suffix) for item in environ)
        if marked and (command is None or cmdline == [part.encode() for part in command]):
            pids.append(int(entry.name))
    return pids


def kill_task_processes(task_id: int) -> None:
    """Kill what is left of a task whose agent died, so no test leaves processes behind."""
    for pid in task_processes(task_id):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
