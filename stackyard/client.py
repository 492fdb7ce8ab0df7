"""A small REST client for the Stackyard API, used by the command line, quickstart and tests."""

from __future__ import annotations

import time
from typing import Any

import requests

FINISHED_STATES = ("SUCCESSFUL", "FAILED", "CANCELED")


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        message = body.get("message") if isinstance(body, dict) else str(body)
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.body = body


class StackyardClient:
    def __init__(self, base_url: str, token: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.session = requests.Session()

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.base_url}/api/v1{path}", headers=self._headers(), timeout=kwargs.pop("timeout", self.timeout), **kwargs)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise ApiError(response.status_code, body)
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("Content-Type", "").startswith("application/json"):
            return response.json()
        return response.text

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def login(self, username: str, password: str) -> str:
        self.token = self.post("/auth/login", {"username": username, "password": password})["token"]
        return self.token

    def wait_for_job(self, job_id: int, timeout: float = 900.0, on_progress=None) -> dict:
        """Poll a job until it ends; return it. ``on_progress(job)`` is called on every change."""
        deadline = time.monotonic() + timeout
        last_signature = None
        while True:
            job = self.get(f"/jobs/{job_id}")
            signature = [(stage["id"], stage["state"]) for stage in job["stages"]]
            if on_progress is not None and signature != last_signature:
                on_progress(job)
                last_signature = signature
            if job["state"] in FINISHED_STATES:
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} did not end within {timeout:.0f} s; it is {job['state']}")
            time.sleep(0.5)
