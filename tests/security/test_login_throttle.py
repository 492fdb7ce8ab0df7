"""Repeated failed logins are slowed, then rejected with 429, per user and per address."""

from __future__ import annotations

import logging
import time

import pytest

from controlplane.auth import throttle
from controlplane.config import ServerConfig
from tests.support.inprocess import build_server

DELAY = 0.3


@pytest.fixture
def sleeps(monkeypatch):
    """Record every wait the throttle makes; the waits still happen."""
    recorded: list[float] = []
    real_sleep = time.sleep

    def recording_sleep(seconds: float) -> None:
        recorded.append(seconds)
        real_sleep(seconds)

    monkeypatch.setattr(throttle.time, "sleep", recording_sleep)
    return recorded


@pytest.fixture
def throttled(tmp_path, monkeypatch):
    # The default limits (3 failures, then 1 s per attempt, 429 from 10) with a shorter delay.
    built = build_server(tmp_path / "server", monkeypatch, login_delay=DELAY)
    yield built
    built.close()


def _attempt(server, username: str, password: str, address: str = "192.0.2.10"):
    started = time.monotonic()
    response = server.client(address=address).post("/auth/login", {"username": username, "password": password})
    return response, time.monotonic() - started


def test_default_limits_are_sensible():
    config = ServerConfig()
    assert config.login_failure_window == 15 * 60
    assert 3 <= config.login_slow_after < config.login_reject_after <= 20
    assert config.login_delay == 1.0


def test_user_failures_slowed_then_rejected(throttled, sleeps, caplog):
    caplog.set_level(logging.WARNING, logger="controlplane.auth.throttle")
    for attempt in range(10):
        # Each attempt comes from another address, so only the per-user count applies.
        response, seconds = _attempt(throttled, "admin", "wrong-password", address=f"192.0.2.{attempt + 1}")
        assert response.status_code == 401, attempt
        assert len(sleeps) == max(0, attempt - 2), f"attempt {attempt + 1} waited {len(sleeps)} times so far"
        if attempt >= 3:
            assert seconds >= DELAY, attempt
    assert sleeps == [DELAY] * 7

    rejected, _ = _attempt(throttled, "admin", "test-admin-password", address="192.0.2.99")
    assert rejected.status_code == 429
    body = rejected.get_json()
    assert "too many failed logins" in body["message"]
    assert "15 minutes" in body["message"]
    assert rejected.headers["Retry-After"] == "900"

    messages = [record.getMessage() for record in caplog.records]
    assert sum("failed login for user 'admin'" in message for message in messages) == 10
    assert any("login rejected for user 'admin'" in message for message in messages)
    assert not any("wrong-password" in message or "test-admin-password" in message for message in messages)


def test_few_address_failures_spare_other_users(throttled):
    for attempt in range(10):
        response, _ = _attempt(throttled, f"guess{attempt}", "wrong-password", address="198.51.100.7")
        assert response.status_code == 401

    allowed, _ = _attempt(throttled, "admin", "test-admin-password", address="198.51.100.7")
    assert allowed.status_code == 200, "ten mistakes from a shared address must not lock out every user"


def test_address_failures_block_other_users(tmp_path, monkeypatch):
    server = build_server(tmp_path / "address", monkeypatch, login_delay=DELAY, login_address_slow_after=100, login_address_reject_after=10)
    for attempt in range(10):
        response, _ = _attempt(server, f"guess{attempt}", "wrong-password", address="198.51.100.7")
        assert response.status_code == 401

    rejected, _ = _attempt(server, "admin", "test-admin-password", address="198.51.100.7")
    assert rejected.status_code == 429
    allowed, _ = _attempt(server, "admin", "test-admin-password", address="198.51.100.8")
    assert allowed.status_code == 200
    server.close()


def test_success_resets_user_count(throttled, sleeps):
    for _ in range(3):
        _attempt(throttled, "admin", "wrong-password", address="203.0.113.1")
    ok, _ = _attempt(throttled, "admin", "test-admin-password", address="203.0.113.2")
    assert ok.status_code == 200
    assert sleeps == [DELAY], "the fourth attempt waits even with the right password"

    _attempt(throttled, "admin", "wrong-password", address="203.0.113.3")
    assert sleeps == [DELAY], "a successful login must clear the user's failures"


def test_unknown_user_is_not_faster(throttled):
    _, known = _attempt(throttled, "admin", "wrong-password", address="203.0.113.20")
    _, unknown = _attempt(throttled, "nobody", "wrong-password", address="203.0.113.21")
    # Both pay for one argon2 check; without the dummy check the server returns 401 for an unknown user in about 1 ms.
    assert unknown > known / 4, (known, unknown)


def test_rejection_ends_after_window(tmp_path, monkeypatch):
    server = build_server(tmp_path / "short", monkeypatch, login_failure_window=2, login_slow_after=100, login_reject_after=2)
    try:
        for _ in range(2):
            _attempt(server, "admin", "wrong-password")
        assert _attempt(server, "admin", "test-admin-password")[0].status_code == 429
        time.sleep(2.2)
        assert _attempt(server, "admin", "test-admin-password")[0].status_code == 200
    finally:
        server.close()
