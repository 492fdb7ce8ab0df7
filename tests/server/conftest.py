"""An in-process server for API tests that need no agent: Flask's test client on a fresh database."""

from __future__ import annotations

import pytest

from controlplane.config import ServerConfig
from controlplane.models import Host
from controlplane.server import Server

ADMIN_PASSWORD = "in-process-admin-password"


class ApiClient:
    """Flask test client with a bearer token and JSON helpers."""

    def __init__(self, client, token: str | None = None) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, json=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.open(f"/api/v1{path}", method=method, json=json, headers=headers)


@pytest.fixture
def app_server(tmp_path, monkeypatch):
    monkeypatch.setenv("STACKYARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
    server = Server(ServerConfig(home=tmp_path / "home", grpc_tls=False))
    yield server


@pytest.fixture
def api(app_server):
    client = app_server.app.test_client()
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD})
    assert response.status_code == 200, response.json
    return ApiClient(client, response.json["token"])


@pytest.fixture
def hosts(app_server):
    """Register five hosts as their agents would."""
    names = [f"node-{number:02d}" for number in range(1, 6)]
    for name in names:
        Host.create(hostname=name, ip_address="198.18.1.1", agent_state="CONNECTED")
    return names
