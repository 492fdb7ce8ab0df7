"""Measure how fast the server fans one stage out to many agents and collects their results.

A real server process runs on loopback without TLS. This process simulates N agents, each with
its own enrolment and its own Connect stream (all streams share one HTTP/2 channel). A
simulated agent replies to every TaskAssignment at once with a SUCCESSFUL TaskResult and runs no
Ansible. One ``status`` action on a service placed on all N hosts makes a stage of N tasks.
The report gives tasks per second over the stage and the p99 of each task's time from
dispatch (its started_at) to its result (its ended_at), as stored by the server.

Usage: .venv/bin/python bench/fanout.py [--agents 100 1000 ...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stackyard.v1 import agent_pb2, agent_pb2_grpc  # noqa: E402
from tests.support.processes import ServerProcess  # noqa: E402

STACKS_FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "stacks_fixture"


class SimulatedAgent:
    def __init__(self, hostname: str, credential: str) -> None:
        self.hostname = hostname
        self.credential = credential
        self.outgoing: asyncio.Queue = asyncio.Queue()
        self.registered = asyncio.Event()

    async def run(self, stub: agent_pb2_grpc.AgentServiceStub) -> None:
        metadata = [("x-stackyard-hostname", self.hostname), ("x-stackyard-credential", self.credential)]
        await self.outgoing.put(agent_pb2.AgentMessage(register=agent_pb2.Register(hostname=self.hostname, ip_address="127.0.0.1", boot_id="bench-" + self.hostname)))
        call = stub.Connect(self._messages(), metadata=metadata)
        async for message in call:
            body = message.WhichOneof("body")
            if body == "registered":
                self.registered.set()
            elif body == "assignment":
                result = agent_pb2.TaskResult(task_id=message.assignment.task_id, state="SUCCESSFUL", summary_json='{"ok": 1}')
                await self.outgoing.put(agent_pb2.AgentMessage(task_result=result))

    async def _messages(self):
        while True:
            message = await self.outgoing.get()
            if message is None:
                return
            yield message


async def enroll_all(stub, admin, count: int) -> list[SimulatedAgent]:
    agents = []
    for index in range(count):
        hostname = f"sim{index:05d}.bench"
        token = admin.post("/hosts/registration-tokens")["token"]
        response = await stub.Enroll(agent_pb2.EnrollRequest(hostname=hostname, registration_token=token))
        agents.append(SimulatedAgent(hostname, response.host_credential))
    return agents


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


async def measure(server: ServerProcess, count: int) -> dict:
    admin = server.client()
    options = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}", options=options) as channel:
        stub = agent_pb2_grpc.AgentServiceStub(channel)
        agents = await enroll_all(stub, admin, count)
        streams = [asyncio.create_task(agent.run(stub)) for agent in agents]
        try:
            await asyncio.wait_for(asyncio.gather(*(agent.registered.wait() for agent in agents)), timeout=300)
            hostnames = [agent.hostname for agent in agents]
            cluster = f"fanout{count}"
            admin.post("/clusters", {"name": cluster, "hosts": hostnames, "stack_name": "jobtest", "stack_version": "1.0"})
            setup = admin.post(f"/clusters/{cluster}/services", {"name": "sleeper", "components": {"sleeper_server": hostnames}, "configs": {"sleeper.conf": {"seconds": 0}}})
            setup = await asyncio.to_thread(admin.wait_for_job, setup["id"], 1800)
            if setup["state"] != "SUCCESSFUL":
                raise RuntimeError(f"setup job ended {setup['state']}: {setup['message']}")

            job = admin.post(f"/clusters/{cluster}/services/sleeper/actions", {"action": "status"})
            job = await asyncio.to_thread(admin.wait_for_job, job["id"], 1800)
        finally:
            for agent in agents:
                agent.outgoing.put_nowait(None)
            for stream in streams:
                stream.cancel()
            await asyncio.gather(*streams, return_exceptions=True)

    [stage] = job["stages"]
    tasks = stage["tasks"]
    if job["state"] != "SUCCESSFUL" or len(tasks) != count:
        raise RuntimeError(f"status job ended {job['state']} with {len(tasks)} tasks: {job['message']}")
    latencies = sorted((_time(task["ended_at"]) - _time(task["started_at"])).total_seconds() for task in tasks)
    stage_seconds = (_time(stage["ended_at"]) - _time(stage["started_at"])).total_seconds()
    return {
        "agents": count,
        "stage_seconds": stage_seconds,
        "tasks_per_second": count / stage_seconds if stage_seconds else float("inf"),
        "p99_seconds": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "median_seconds": statistics.median(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[100], help="numbers of simulated agents, one run each (default 100)")
    args = parser.parse_args()

    for count in args.agents:
        with tempfile.TemporaryDirectory(prefix="stackyard-fanout-") as folder:
            server = ServerProcess(home=Path(folder) / "server", extra_args=["--stack-dir", str(STACKS_FIXTURE), "--no-grpc-tls"]).start()
            try:
                result = asyncio.run(measure(server, count))
            finally:
                server.stop()
        print(
            f"{result['agents']} agents: stage of {result['agents']} tasks in {result['stage_seconds']:.2f} s, "
            f"{result['tasks_per_second']:.0f} tasks/s, dispatch-to-result median {result['median_seconds'] * 1000:.0f} ms, "
            f"p99 {result['p99_seconds'] * 1000:.0f} ms",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
