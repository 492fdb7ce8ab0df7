"""Fixtures that run the real agent process against a fake server written with grpcio.

The fake server speaks agent.proto but stores nothing: it records every AgentMessage, sends
Registered and, unless ``ack_results`` is False, a ResultAck for every TaskResult.
"""

from __future__ import annotations

import io
import os
import queue
import signal
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from concurrent import futures
from pathlib import Path
from typing import Any

os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")

import grpc
import pytest

from stackyard.v1 import agent_pb2, agent_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 30.0


def wait_until(
    predicate: Callable[[], Any], timeout: float = WAIT_SECONDS, interval: float = 0.05
) -> Any:
    """Return the first true value of ``predicate`` within ``timeout`` seconds, else fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(
        f"condition not met within {timeout} s: {predicate.__doc__ or predicate}"
    )


class FakeAgentService(agent_pb2_grpc.AgentServiceServicer):
    """AgentService that records what agents send and lets a test send ServerMessages."""

    def __init__(self, ack_results: bool = True) -> None:
        self.ack_results = ack_results
        self.lock = threading.Lock()
        self.messages: list[agent_pb2.AgentMessage] = []
        self.metadata: list[dict[str, str]] = []
        self.streams: list[queue.Queue] = []
        self.enroll_requests: list[agent_pb2.EnrollRequest] = []

    def Enroll(self, request, context):
        with self.lock:
            self.enroll_requests.append(request)
        return agent_pb2.EnrollResponse(
            host_credential=f"credential-of-{request.hostname}"
        )

    def Connect(self, request_iterator, context):
        outgoing: queue.Queue = queue.Queue()
        with self.lock:
            self.streams.append(outgoing)
            self.metadata.append(dict(context.invocation_metadata()))

        def read() -> None:
            try:
                for message in request_iterator:
                    self._record(message, outgoing)
            except grpc.RpcError:
                pass
            finally:
                outgoing.put(None)

        threading.Thread(target=read, daemon=True).start()
        while True:
            item = outgoing.get()
            if item is None or not context.is_active():
                return
            yield item

    def _record(self, message: agent_pb2.AgentMessage, outgoing: queue.Queue) -> None:
        with self.lock:
            self.messages.append(message)
        if message.HasField("register"):
            outgoing.put(
                agent_pb2.ServerMessage(
                    registered=agent_pb2.Registered(
                        host_id="host-1", heartbeat_interval_seconds=0
                    )
                )
            )
        if message.HasField("task_result") and self.ack_results:
            outgoing.put(
                agent_pb2.ServerMessage(
                    result_ack=agent_pb2.ResultAck(task_id=message.task_result.task_id)
                )
            )

    def send(self, message: agent_pb2.ServerMessage) -> None:
        """Send ``message`` on the newest stream."""
        wait_until(lambda: self.streams)
        with self.lock:
            self.streams[-1].put(message)

    def of_kind(self, kind: str) -> list[Any]:
        with self.lock:
            return [
                getattr(m, kind) for m in self.messages if m.WhichOneof("body") == kind
            ]

    def events(self, task_id: int) -> list[agent_pb2.TaskEvent]:
        return [
            event for event in self.of_kind("task_event") if event.task_id == task_id
        ]

    def results(self, task_id: int) -> list[agent_pb2.TaskResult]:
        return [
            result
            for result in self.of_kind("task_result")
            if result.task_id == task_id
        ]

    def wait_result(
        self, task_id: int, timeout: float = WAIT_SECONDS
    ) -> agent_pb2.TaskResult:
        return wait_until(lambda: (self.results(task_id) or [None])[0], timeout=timeout)


class FakeServer:
    """A grpc.server on 127.0.0.1 with one FakeAgentService; can be stopped and started on the same port."""

    def __init__(self, port: int = 0, ack_results: bool = True) -> None:
        self.service = FakeAgentService(ack_results=ack_results)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        agent_pb2_grpc.add_AgentServiceServicer_to_server(self.service, self.server)
        self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        self.server.start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.stop(grace=0).wait()


@pytest.fixture
def fake_server():
    server = FakeServer()
    yield server
    server.stop()


class AgentProcess:
    """The agent started with ``python -m agent.main``, as ``stackyard agent`` starts it."""

    def __init__(
        self,
        server_address: str,
        home: Path,
        service_root: Path,
        log_path: Path,
        extra_args: list[str],
    ) -> None:
        self.home = home
        self.service_root = service_root
        self.log_path = log_path
        self.log_file = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable,
            "-m",
            "agent.main",
            "--server",
            server_address,
            "--home",
            str(home),
            "--hostname",
            "agent-test-host",
            "--ip-address",
            "127.0.0.1",
            "--service-root",
            str(service_root),
            "--heartbeat-interval",
            "0.5",
            *extra_args,
        ]
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


@pytest.fixture
def start_agent(tmp_path):
    agents: list[AgentProcess] = []

    def start(server_address: str, extra_args: list[str] | None = None) -> AgentProcess:
        agent_process = AgentProcess(
            server_address,
            tmp_path / "home",
            tmp_path / "root",
            tmp_path / f"agent-{len(agents)}.log",
            extra_args or [],
        )
        agents.append(agent_process)
        return agent_process

    yield start
    for agent_process in agents:
        agent_process.stop()


def make_role_archive(
    tasks_yaml: str, templates: dict[str, str] | None = None, top_folder: str = ""
) -> bytes:
    """Return a gzip-compressed tar archive of a role whose tasks/main.yml is ``tasks_yaml``."""
    files = {"tasks/main.yml": tasks_yaml}
    for name, text in (templates or {}).items():
        files[f"templates/{name}"] = text

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode("utf-8")
            info = tarfile.TarInfo(f"{top_folder}/{name}" if top_folder else name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def make_assignment(
    task_id: int,
    tasks_yaml: str,
    variables: dict[str, Any] | None = None,
    **fields: Any,
) -> agent_pb2.ServerMessage:
    import json

    assignment = agent_pb2.TaskAssignment(
        task_id=task_id,
        job_id=fields.pop("job_id", 100),
        cluster="test",
        stack="infra",
        service=fields.pop("service", "demo"),
        component=fields.pop("component", "demo_server"),
        command=fields.pop("command", "start"),
        role_name="infra_demo",
        role_archive=make_role_archive(tasks_yaml, fields.pop("templates", None)),
        variables_json=json.dumps(variables or {}),
        timeout_seconds=fields.pop("timeout_seconds", 120),
        secret_values=fields.pop("secret_values", []),
    )
    return agent_pb2.ServerMessage(assignment=assignment)


def find_processes(needle: str) -> list[int]:
    """Return the pids of live processes whose command line contains ``needle``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (
                (entry / "cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids
