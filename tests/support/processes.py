"""Start real Stackyard server and agent processes for tests, each on free loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from stackyard.client import StackyardClient

ADMIN_PASSWORD = "test-admin-password"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float, message: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s: {message}")


@dataclass
class ServerProcess:
    home: Path
    http_port: int = field(default_factory=free_port)
    grpc_port: int = field(default_factory=free_port)
    database_url: str = ""
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def start(self) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "stackyard.cli", "server", "--home", str(self.home), "--http-port", str(self.http_port), "--grpc-port", str(self.grpc_port), "--heartbeat-interval", "2", *self.extra_args]
        if self.database_url:
            command += ["--database-url", self.database_url]
        env = dict(os.environ, STACKYARD_ADMIN_PASSWORD=ADMIN_PASSWORD, STACKYARD_HOME=str(self.home))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_until(self._healthy, 60, f"server did not become healthy; log: {self.log_path}")
        return self

    def _healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
        try:
            return requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def client(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> StackyardClient:
        client = StackyardClient(self.url)
        client.login(username, password)
        return client

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


@dataclass
class AgentProcess:
    server: ServerProcess
    home: Path
    hostname: str
    service_root: Path | None = None
    # Command prefix that runs the agent inside a network namespace, for example ["ip", "netns", "exec", "ns1"].
    wrapper: list[str] = field(default_factory=list)
    server_address: str = ""
    ip_address: str = ""
    process: subprocess.Popen | None = None

    @property
    def log_path(self) -> Path:
        return self.home.parent / f"{self.home.name}.log"

    def start(self, registration_token: str | None = None, wait: bool = True) -> AgentProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        if registration_token is None and not (self.home / "host_credential").exists():
            registration_token = self.server.client().post("/hosts/registration-tokens")["token"]
        command = [
            *self.wrapper,
            sys.executable, "-m", "stackyard.cli", "agent",
            "--server", self.server_address or f"127.0.0.1:{self.server.grpc_port}",
            "--home", str(self.home),
            "--hostname", self.hostname,
            "--ca-cert", str(self.server.home / "pki" / "ca.pem"),
            "--heartbeat-interval", "2",
        ]
        if self.ip_address:
            command += ["--ip-address", self.ip_address]
        if self.service_root is not None:
            command += ["--service-root", str(self.service_root)]
        if registration_token:
            command += ["--registration-token", registration_token]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait:
            self.wait_connected()
        return self

    def wait_connected(self, timeout: float = 60) -> None:
        client = self.server.client()

        def connected() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"agent exited with {self.process.returncode}:\n{self.log_path.read_text()[-3000:]}")
            hosts = {host["hostname"]: host for host in client.get("/hosts")}
            return hosts.get(self.hostname, {}).get("agent_state") == "CONNECTED"

        wait_until(connected, timeout, f"agent {self.hostname} did not connect; log: {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


def kill_processes_mentioning(text: str) -> list[int]:
    """SIGKILL every process whose command line contains ``text``; return their pids.

    Services a test starts (ZooKeeper, Prometheus, MariaDB) run detached from the agent, so
    a test that fails half-way would leave them running. Their command lines contain the
    test's folder, which is how they are found.
    """
    killed = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in command_line:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except ProcessLookupError:
                pass
    return killed
