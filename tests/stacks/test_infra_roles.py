"""Run the built infra roles with ansible-playbook: real Prometheus, node exporter and
MariaDB servers on free loopback ports."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def _kill_left_over(pid_file: Path) -> None:
    if pid_file.exists():
        try:
            os.kill(int(pid_file.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def _base_variables(tmp_path: Path, current_user: dict[str, str], component_hosts: dict[str, list[str]]) -> dict:
    return {
        **current_user,
        "stackyard_cluster": "test",
        "stackyard_hostname": "127.0.0.1",
        "stackyard_component_hosts": component_hosts,
        "stackyard_root_dir": str(tmp_path / "root"),
    }


def test_prometheus_scrapes_node_exporter(tmp_path: Path, catalogue, role_runner, current_user, free_port) -> None:
    infra = catalogue.get("infra", "1.0")
    exporter_port = free_port()
    prometheus_port = free_port()
    hosts = {"prometheus_server": ["127.0.0.1"], "node_exporter": ["127.0.0.1"]}
    base = _base_variables(tmp_path, current_user, hosts)

    exporter_variables = infra.services["node_exporter"].role_variables(
        {"node_exporter": {"port": exporter_port, "listen_address": "127.0.0.1"}}
    )
    prometheus_variables = infra.services["prometheus"].role_variables(
        {
            "prometheus.yml": {"scrape_interval": "1s", "node_exporter_port": exporter_port},
            "prometheus-server": {"port": prometheus_port, "listen_address": "127.0.0.1"},
        }
    )
    exporter = role_runner("infra", "1.0", "node_exporter", {**base, **exporter_variables})
    prometheus = role_runner("infra", "1.0", "prometheus", {**base, **prometheus_variables})
    run_dir = tmp_path / "root" / "run"

    try:
        for command in ("install", "configure", "start", "check", "status"):
            exporter.run(command, "node_exporter")
        for command in ("install", "configure", "start", "check", "status"):
            prometheus.run(command, "prometheus_server")

        config = (tmp_path / "root" / "prometheus" / "conf" / "prometheus.yml").read_text()
        assert f'"127.0.0.1:{exporter_port}"' in config

        prometheus.run("stop", "prometheus_server")
        exporter.run("stop", "node_exporter")
        assert not (run_dir / "prometheus_server.pid").exists()
        assert not (run_dir / "node_exporter.pid").exists()
    finally:
        _kill_left_over(run_dir / "prometheus_server.pid")
        _kill_left_over(run_dir / "node_exporter.pid")


def test_mariadb_select_as_service_user(tmp_path: Path, catalogue, role_runner, current_user, free_port, hostile) -> None:
    mariadb = catalogue.get("infra", "1.0").services["mariadb"]
    port = free_port()
    password = f"pw'\"\\ {hostile}"
    variables = mariadb.role_variables(
        {
            "my.cnf": {"port": port, "bind-address": "127.0.0.1"},
            "mariadb-users": {"service_user": "stackyard", "service_password": password},
        }
    )
    base = _base_variables(tmp_path, current_user, {"mariadb_server": ["127.0.0.1"], "mariadb_client": ["127.0.0.1"]})
    runner = role_runner("infra", "1.0", "mariadb", {**base, **variables})
    pid_file = tmp_path / "root" / "run" / "mariadb_server.pid"

    try:
        for command in ("install", "configure", "start", "check", "status"):
            runner.run(command, "mariadb_server")
        runner.run("check", "mariadb_client")

        login = subprocess.run(
            ["mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1", f"--port={port}",
             "--user=stackyard", "--batch", "--skip-column-names", "--execute=SELECT CURRENT_USER()"],
            env={**os.environ, "MYSQL_PWD": password},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert login.returncode == 0, login.stderr
        assert login.stdout.startswith("stackyard@")

        runner.run("stop", "mariadb_server")
        assert not pid_file.exists()
    finally:
        _kill_left_over(pid_file)
