"""A real Stackyard server application built in this process and driven with Flask's test client.

It uses the same database, keys, stack catalogue and Flask app as ``stackyard server`` but
starts no gRPC endpoint, scheduler or HTTP listener, so a test gets a fresh server in well
under a second.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from controlplane.config import ServerConfig
from controlplane.db import database
from controlplane.server import ADMIN_PASSWORD_VARIABLE, Server
from tests.support.processes import ADMIN_PASSWORD

API = "/api/v1"
_user_numbers = itertools.count(1)


class AppClient:
    """Send requests to the in-process app as one bearer token (or none) from one address."""

    def __init__(self, app, token: str | None = None, address: str = "127.0.0.1") -> None:
        self.app = app
        self.token = token
        self.address = address
        self.client = app.test_client()

    def request(self, method: str, path: str, json: Any = None, headers: dict | None = None, **kwargs: Any):
        all_headers = dict(headers or {})
        if self.token:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        url = path if path.startswith((API, "/static/")) or path == "/" else API + path
        return self.client.open(url, method=method, json=json, headers=all_headers, environ_base={"REMOTE_ADDR": self.address}, **kwargs)

    def get(self, path: str, **kwargs: Any):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any):
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any):
        return self.request("DELETE", path, **kwargs)


class InProcessServer:
    def __init__(self, home: Path, **settings: Any) -> None:
        self.config = ServerConfig(home=home, **settings)
        self.server = Server(self.config)
        self.app = self.server.app
        self.context = self.server.context

    def client(self, token: str | None = None, address: str = "127.0.0.1") -> AppClient:
        return AppClient(self.app, token=token, address=address)

    def login(self, username: str = "admin", password: str = ADMIN_PASSWORD, address: str = "127.0.0.1") -> AppClient:
        response = self.client(address=address).post("/auth/login", {"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return self.client(token=response.get_json()["token"], address=address)

    def create_user(self, role: str, password: str = "user-password-1") -> tuple[dict, AppClient]:
        """Create a user with ``role`` as admin and return the user record and a logged-in client."""
        username = f"{role}{next(_user_numbers)}"
        response = self.login().post("/users", {"username": username, "password": password, "role": role})
        assert response.status_code == 201, response.get_json()
        return response.get_json(), self.login(username, password)

    def close(self) -> None:
        if not database.is_closed():
            database.close()


def build_server(home: Path, monkeypatch, **settings: Any) -> InProcessServer:
    monkeypatch.setenv(ADMIN_PASSWORD_VARIABLE, ADMIN_PASSWORD)
    return InProcessServer(home, **settings)
