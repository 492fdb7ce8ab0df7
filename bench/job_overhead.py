"""Time a one-task job through Stackyard against ansible-runner running the same role directly.

A real server and agent run on loopback with the test-only stack ``jobtest``. Each round runs
the ``check`` command of the ``sleeper`` service once through the REST API (job, gRPC, agent,
ansible-runner) and once with ansible-runner on a copy of the task folder the agent prepared,
alternating. The last line is ``overhead ratio: X``, the median Stackyard time over the median
direct time.

Usage: .venv/bin/python bench/job_overhead.py [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import ansible_runner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import service_root  # noqa: E402
from tests.support.processes import AgentProcess, ServerProcess  # noqa: E402

STACKS_FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "stacks_fixture"
POLL_SECONDS = 0.02


def run_through_stackyard(admin, cluster: str) -> tuple[float, int]:
    started = time.monotonic()
    job = admin.post(f"/clusters/{cluster}/services/sleeper/actions", {"action": "check"})
    while True:
        job = admin.get(f"/jobs/{job['id']}")
        if job["state"] in ("SUCCESSFUL", "FAILED", "CANCELED"):
            break
        time.sleep(POLL_SECONDS)
    elapsed = time.monotonic() - started
    if job["state"] != "SUCCESSFUL":
        raise RuntimeError(f"job {job['id']} ended {job['state']}: {job['message']}")
    return elapsed, job["stages"][0]["tasks"][0]["id"]


def run_directly(task_dir: Path, scratch: Path) -> float:
    """Run the task folder the agent prepared again, with ansible-runner and no Stackyard."""
    copy = scratch / f"direct-{time.monotonic_ns()}"
    shutil.copytree(task_dir, copy, ignore=shutil.ignore_patterns("artifacts", "task.log", "tmp"))
    started = time.monotonic()
    runner = ansible_runner.run(private_data_dir=str(copy), playbook="main.yml", ident="run", quiet=True, settings={"suppress_ansible_output": True})
    elapsed = time.monotonic() - started
    if runner.status != "successful":
        raise RuntimeError(f"direct run ended {runner.status} with return code {runner.rc}")
    shutil.rmtree(copy, ignore_errors=True)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="runs of each kind (default 7)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="stackyard-bench-") as folder:
        root = Path(folder)
        server = ServerProcess(home=root / "server", extra_args=["--stack-dir", str(STACKS_FIXTURE)]).start()
        agent = AgentProcess(server=server, home=root / "agent", hostname=socket.gethostname(), service_root=service_root(root)).start()
        try:
            admin = server.client()
            admin.post("/clusters", {"name": "bench", "hosts": [agent.hostname], "stack_name": "jobtest", "stack_version": "1.0"})
            setup = admin.post("/clusters/bench/services", {"name": "sleeper", "components": {"sleeper_server": [agent.hostname]}, "configs": {"sleeper.conf": {"seconds": 0}}})
            if admin.wait_for_job(setup["id"], timeout=300)["state"] != "SUCCESSFUL":
                raise RuntimeError("adding the sleeper service failed")

            _, task_id = run_through_stackyard(admin, "bench")  # warm-up, and the folder to copy
            task_dir = agent.home / "tasks" / str(task_id)
            stackyard_times, direct_times = [], []
            for round_number in range(1, args.rounds + 1):
                stackyard_times.append(run_through_stackyard(admin, "bench")[0])
                direct_times.append(run_directly(task_dir, root))
                print(f"round {round_number}: stackyard {stackyard_times[-1]:.2f} s, direct {direct_times[-1]:.2f} s", flush=True)
        finally:
            agent.stop()
            server.stop()

    stackyard_median = statistics.median(stackyard_times)
    direct_median = statistics.median(direct_times)
    print(f"median: stackyard {stackyard_median:.2f} s, direct ansible-runner {direct_median:.2f} s")
    print(f"overhead ratio: {stackyard_median / direct_median:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
