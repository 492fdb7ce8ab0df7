"""Real infra services through the API: MariaDB with a password, Prometheus and node exporter, removal.

One server and one agent serve the module; the tests run in order on one infra cluster.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from tests.catalogue.conftest import api_error, new_cluster_name, start_deployment
from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.e2e

SECRET = "Pw-" + uuid.uuid4().hex
NEW_SECRET = "Pw-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = start_deployment(tmp_path_factory.mktemp("infra-services"), agent_count=1)
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def cluster(deployment):
    name = new_cluster_name()
    deployment.admin.post("/clusters", {"name": name, "stack_name": "infra", "stack_version": "1.0", "hosts": deployment.hostnames})
    return name


def _select_one(port: int, password: str) -> subprocess.CompletedProcess:
    argv = ["mariadb", "--no-defaults", "--protocol=TCP", "--host=127.0.0.1", f"--port={port}", "--user=stackyard", "--batch", "--skip-column-names", "--execute=SELECT 1"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30, env={**os.environ, "MYSQL_PWD": password})


def _files_containing(folder: Path, text: str) -> list[Path]:
    needle = text.encode()
    return [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink() and needle in path.read_bytes()]


def _api_texts(admin, cluster: str, job_ids: list[int]) -> dict[str, str]:
    """Return the raw text of every API response that could show the MariaDB configuration."""
    base = f"/clusters/{cluster}/services/mariadb"
    texts = {}

    def fetch(path: str, **params) -> None:
        response = admin.session.get(f"{admin.base_url}/api/v1{path}", headers=admin._headers(), params=params, timeout=30)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
        texts[path + str(params or "")] = response.text

    fetch(base)
    fetch(f"/clusters/{cluster}/services")
    fetch(f"{base}/configs")
    versions = [item["version"] for item in admin.get(f"{base}/configs")]
    for version in versions:
        fetch(f"{base}/configs/{version}")
    fetch(f"{base}/configs/diff", **{"from": min(versions), "to": max(versions)})
    fetch(f"/clusters/{cluster}/inventory")
    fetch("/jobs")
    for job_id in job_ids:
        fetch(f"/jobs/{job_id}")
        for stage in admin.get(f"/jobs/{job_id}")["stages"]:
            for task in stage["tasks"]:
                fetch(f"/jobs/{job_id}/tasks/{task['id']}/log")
    return texts


def test_mariadb_password_never_shown(deployment, cluster):
    admin = deployment.admin
    port = free_port()
    base = f"/clusters/{cluster}/services/mariadb"
    host = deployment.hostnames[0]
    configs = {"my.cnf": {"port": port, "bind-address": "127.0.0.1"}, "mariadb-users": {"service_password": SECRET}}

    added = admin.wait_for_job(admin.post(f"/clusters/{cluster}/services", {"name": "mariadb", "components": {"mariadb_server": [host]}, "configs": configs})["id"], timeout=600)
    assert added["state"] == "SUCCESSFUL", added
    assert [stage["command"] for stage in added["stages"]][-1] == "check"
    assert _select_one(port, SECRET).stdout.strip() == "1"
    assert _select_one(port, "wrong-" + SECRET).returncode != 0

    changed = admin.post(f"{base}/configs", {"configs": {"mariadb-users": {"service_password": NEW_SECRET}}, "message": "rotate the service password"})
    assert changed["configs"]["mariadb-users"]["service_password"] == "********"
    diff = admin.get(f"{base}/configs/diff", params={"from": 1, "to": changed["version"]})
    assert diff["changes"] == [{"file": "mariadb-users", "property": "service_password", "from": "********", "to": "********"}]

    applied = admin.wait_for_job(admin.post(f"{base}/configs/apply", {"batch_size": 1})["id"], timeout=600)
    assert applied["state"] == "SUCCESSFUL", applied
    checked = admin.wait_for_job(admin.post(f"{base}/actions", {"action": "check"})["id"], timeout=300)
    assert checked["state"] == "SUCCESSFUL", checked
    assert _select_one(port, NEW_SECRET).stdout.strip() == "1"

    for secret in (SECRET, NEW_SECRET):
        for path, text in _api_texts(admin, cluster, [added["id"], applied["id"], checked["id"]]).items():
            assert secret not in text, f"password in the response of GET {path}"
        assert secret not in deployment.server.log_path.read_text(errors="replace"), "password in the server log"
        agent_home = deployment.agents[0].home
        task_logs = [path for path in _files_containing(agent_home, secret) if path.name in ("task.log", "stdout") or "job_events" in path.parts]
        assert task_logs == [], "password in agent task logs or Ansible output"
        for path in _files_containing(agent_home / "tasks", secret):
            task_dir = agent_home / "tasks" / path.relative_to(agent_home / "tasks").parts[0]
            assert task_dir.stat().st_mode & 0o077 == 0, f"{path} holds the password and {task_dir} is open to other users"
        assert secret not in deployment.agents[0].log_path.read_text(errors="replace"), "password in the agent log"

    stop = admin.wait_for_job(admin.post(f"{base}/actions", {"action": "stop"})["id"], timeout=300)
    assert stop["state"] == "SUCCESSFUL", stop


def _query_up(port: int) -> list[dict]:
    response = requests.get(f"http://127.0.0.1:{port}/api/v1/query", params={"query": "up"}, timeout=5)
    response.raise_for_status()
    return response.json()["data"]["result"]


def test_prometheus_and_node_exporter_checked(deployment, cluster):
    admin = deployment.admin
    host = deployment.hostnames[0]
    exporter_port = free_port()
    prometheus_port = free_port()

    status, body = api_error(admin, "POST", f"/clusters/{cluster}/services", {"name": "prometheus", "components": {"prometheus_server": [host]}})
    assert status == 409
    assert "node_exporter" in body["message"]

    exporter = admin.post(f"/clusters/{cluster}/services", {"name": "node_exporter", "components": {"node_exporter": [host]}, "configs": {"node_exporter": {"port": exporter_port, "listen_address": "127.0.0.1"}}})
    exporter = admin.wait_for_job(exporter["id"], timeout=300)
    assert exporter["state"] == "SUCCESSFUL", exporter
    assert "node_exporter_build_info" in requests.get(f"http://127.0.0.1:{exporter_port}/metrics", timeout=5).text

    configs = {"prometheus-server": {"port": prometheus_port, "listen_address": "127.0.0.1"}, "prometheus.yml": {"scrape_interval": "1s", "node_exporter_port": exporter_port}}
    prometheus = admin.wait_for_job(admin.post(f"/clusters/{cluster}/services", {"name": "prometheus", "components": {"prometheus_server": [host]}, "configs": configs})["id"], timeout=300)
    assert prometheus["state"] == "SUCCESSFUL", prometheus
    assert prometheus["stages"][-1]["command"] == "check"

    results = wait_until(lambda: [item for item in _query_up(prometheus_port) if item["metric"]["job"] == "prometheus" and item["value"][1] == "1"], 60, "Prometheus does not report up=1 for itself")
    assert results[0]["metric"]["instance"] == f"127.0.0.1:{prometheus_port}"
    targets = {item["metric"]["instance"] for item in _query_up(prometheus_port) if item["metric"]["job"] == "node"}
    assert targets == {f"{host}:{exporter_port}"}
    assert admin.get(f"/clusters/{cluster}/services/prometheus")["state"] == "INSTALLED"


def test_failed_removal_keeps_records(deployment, cluster):
    admin = deployment.admin
    agent = deployment.agents[0]
    agent.stop()
    try:
        job = admin.delete(f"/clusters/{cluster}/services/prometheus")
        assert admin.get(f"/clusters/{cluster}/services/prometheus")["state"] == "REMOVING"
        job = admin.wait_for_job(job["id"], timeout=180)
    finally:
        agent.start()

    assert job["state"] == "FAILED"
    assert "not connected" in job["message"]
    service = admin.get(f"/clusters/{cluster}/services/prometheus")
    assert service["state"] == "INSTALLED"
    assert [item["component"] for item in service["components"]] == ["prometheus_server"]


def test_removal_deletes_records_after_success(deployment, cluster):
    admin = deployment.admin
    root = deployment.roots[0]

    status, body = api_error(admin, "DELETE", f"/clusters/{cluster}/services/node_exporter")
    assert status == 409
    assert "prometheus" in body["message"]

    for service, pid_file in (("prometheus", "prometheus_server.pid"), ("node_exporter", "node_exporter.pid")):
        assert (root / "run" / pid_file).is_file()
        job = admin.delete(f"/clusters/{cluster}/services/{service}")
        assert [stage["command"] for stage in job["stages"]] == ["stop", "uninstall"]
        job = admin.wait_for_job(job["id"], timeout=300)
        assert job["state"] == "SUCCESSFUL", job
        status, _ = api_error(admin, "GET", f"/clusters/{cluster}/services/{service}")
        assert status == 404
        assert not (root / service).exists()
        assert not (root / "run" / pid_file).exists()
    assert [item["name"] for item in admin.get(f"/clusters/{cluster}/services")] == ["mariadb"]
