"""Quickstart: a server and an agent on this host, a cluster ``demo`` and a running ZooKeeper.

Everything lives in the Stackyard home folder ($STACKYARD_HOME or ~/.stackyard): the SQLite
database, logs, the agent's folder, and the pid files that ``stackyard quickstart --stop`` uses.
Running quickstart again reuses what is there.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from controlplane.config import default_home
from stackyard.client import ApiError, StackyardClient
from stackyard.srvr import four_letter_word


def _print(message: str) -> None:
    print(message, flush=True)


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    return pid


def _start_background(command: list[str], log_path: Path, pid_path: Path, env: dict[str, str]) -> int:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    pid_path.write_text(str(process.pid))
    return process.pid


def _admin_password(home: Path) -> str:
    path = home / "admin-password"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(12))
    return path.read_text().strip()


def _healthy(client: StackyardClient) -> bool:
    try:
        client.get("/health", timeout=2)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not up"
        return False


def _log_tail(log_path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _wait_for_health(client: StackyardClient, pid_path: Path, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _read_pid(pid_path) is None:
            raise SystemExit(f"the server exited during start-up; the end of {log_path}:\n{_log_tail(log_path)}")
        if _healthy(client):
            return
        time.sleep(0.5)
    raise SystemExit(f"the server did not respond within {timeout:.0f} s; see {log_path}")


def _wait_for_host(client: StackyardClient, hostname: str, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hosts = {host["hostname"]: host for host in client.get("/hosts")}
        if hosts.get(hostname, {}).get("agent_state") == "CONNECTED":
            return
        time.sleep(0.5)
    raise SystemExit(f"the agent on {hostname} did not connect within {timeout:.0f} s; see {log_path}")


class _StageProgress:
    """Print each stage of a job once when it starts and once when it ends."""

    def __init__(self) -> None:
        self.printed: dict[int, str] = {}

    def __call__(self, job: dict) -> None:
        for stage in job["stages"]:
            state = stage["state"]
            if state == "PENDING" or self.printed.get(stage["id"]) == state:
                continue
            self.printed[stage["id"]] = state
            hosts = ", ".join(task["host"] for task in stage["tasks"])
            _print(f"  job {job['id']}: {stage['name']} on {hosts}: {state}")


def _configured_client_port(client: StackyardClient) -> int:
    versions = client.get("/clusters/demo/services/zookeeper/configs")
    current = next(version for version in versions if version["current"])
    return int(current["configs"]["zoo.cfg"]["clientPort"])


def run_quickstart(http_port: int, grpc_port: int, zookeeper_port: int, root_dir: str) -> int:
    home = default_home()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = dict(os.environ, STACKYARD_HOME=str(home))
    password = _admin_password(home)
    base_url = f"http://127.0.0.1:{http_port}"
    client = StackyardClient(base_url)
    executable = [sys.executable, "-m", "stackyard.cli"]

    server_log = home / "server.log"
    if _read_pid(home / "server.pid") is None:
        if _healthy(client):
            raise SystemExit(
                f"port {http_port} already serves a Stackyard server that this quickstart did not start (home {home}); "
                "stop it, or pass --http-port and --grpc-port for another pair of ports"
            )
        _print(f"starting the server (log: {server_log})")
        _start_background(
            [*executable, "server", "--http-port", str(http_port), "--grpc-port", str(grpc_port)],
            server_log,
            home / "server.pid",
            dict(env, STACKYARD_ADMIN_PASSWORD=password),
        )
    _wait_for_health(client, home / "server.pid", server_log)
    try:
        client.login("admin", password)
    except ApiError as error:
        raise SystemExit(f"cannot log in as admin with the password in {home / 'admin-password'}: {error}") from None

    hostname = socket.gethostname()
    agent_log = home / "agent.log"
    if _read_pid(home / "agent.pid") is None:
        _print(f"starting the agent for host {hostname} (log: {agent_log})")
        command = [*executable, "agent", "--server", f"127.0.0.1:{grpc_port}", "--home", str(home / "agent"), "--hostname", hostname, "--ca-cert", str(home / "pki" / "ca.pem")]
        if not (home / "agent" / "host_credential").exists():
            command += ["--registration-token", client.post("/hosts/registration-tokens")["token"]]
        _start_background(command, agent_log, home / "agent.pid", env)
    _wait_for_host(client, hostname, agent_log)

    clusters = {cluster["name"]: cluster for cluster in client.get("/clusters")}
    if "demo" not in clusters:
        client.post("/clusters", {"name": "demo", "description": "Created by stackyard quickstart", "stack_name": "bigtop", "stack_version": "3.3", "root_dir": root_dir, "hosts": [hostname]})
        _print("created cluster demo")

    services = {service["name"] for service in client.get("/clusters/demo/services")}
    if "zookeeper" not in services:
        job = client.post(
            "/clusters/demo/services",
            {
                "name": "zookeeper",
                "components": {"zookeeper_server": [hostname], "zookeeper_client": [hostname]},
                "configs": {"zoo.cfg": {"clientPort": zookeeper_port}},
            },
        )
    else:
        configured_port = _configured_client_port(client)
        if configured_port != zookeeper_port:
            _print(f"ZooKeeper already exists on client port {configured_port}; --zookeeper-port applies only when quickstart adds ZooKeeper")
            zookeeper_port = configured_port
        job = client.post("/clusters/demo/services/zookeeper/actions", {"action": "start"})
    _print(f"job {job['id']}: {job['name']}")
    job = client.wait_for_job(job["id"], on_progress=_StageProgress())
    if job["state"] != "SUCCESSFUL":
        _print(f"job {job['id']} ended {job['state']}: {job['message']}")
        _print(f"task logs: GET {base_url}/api/v1/jobs/{job['id']}")
        return 1

    _print("")
    _print(f"Web UI:           {base_url}/")
    _print(f"REST API:         {base_url}/api/v1")
    _print(f"OpenAPI document: {base_url}/api/v1/openapi.json (browse it at {base_url}/api/v1/docs)")
    _print(f"Log in as:        admin / {password} (also in {home / 'admin-password'})")
    _print(f"ZooKeeper srvr on 127.0.0.1:{zookeeper_port}:")
    try:
        _print(four_letter_word("127.0.0.1", zookeeper_port, "srvr"))
    except OSError as error:
        _print(f"  no answer: {error}")
        return 1
    _print("Stop everything with: make stop (or: stackyard quickstart --stop)")
    return 0


def stop_quickstart(http_port: int) -> int:
    """Stop ZooKeeper through a job, then the agent and the server; return 1 if something was left running."""
    home = default_home()
    clean = _stop_zookeeper(home, http_port)

    for name in ("agent", "server"):
        pid_path = home / f"{name}.pid"
        pid = _read_pid(pid_path)
        if pid is None:
            continue
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if _read_pid(pid_path) is None:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
        pid_path.unlink(missing_ok=True)
        _print(f"stopped the {name} (pid {pid})")
    return 0 if clean else 1


def _stop_zookeeper(home: Path, http_port: int) -> bool:
    """Stop the demo ZooKeeper with a job; when that fails, kill it by its pid file. Return True when it is stopped."""
    password_path = home / "admin-password"
    root_dir = Path("/var/lib/stackyard")
    if _read_pid(home / "server.pid") is not None and password_path.exists():
        client = StackyardClient(f"http://127.0.0.1:{http_port}")
        try:
            client.login("admin", password_path.read_text().strip())
            root_dir = Path(client.get("/clusters/demo")["root_dir"])
            job = client.wait_for_job(client.post("/clusters/demo/services/zookeeper/actions", {"action": "stop"})["id"], timeout=120)
            _print(f"job {job['id']}: stop ZooKeeper {job['state']}")
            if job["state"] == "SUCCESSFUL":
                return True
        except (ApiError, OSError, TimeoutError) as error:
            _print(f"could not stop ZooKeeper through the server: {error}")

    pid_file = root_dir / "run" / "zookeeper_server.pid"
    pid = _read_pid(pid_file)
    if pid is None:
        return True
    _print(f"stopping ZooKeeper by its pid file {pid_file} (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if _read_pid(pid_file) is None:
            return True
        time.sleep(0.1)
    _print(f"ZooKeeper (pid {pid}) is still running; stop it with: kill {pid}")
    return False
