"""Fixtures of the API tests: a fresh in-process server per test."""

from __future__ import annotations

import pytest

from tests.support.inprocess import build_server


@pytest.fixture
def app_server(tmp_path, monkeypatch):
    built = build_server(tmp_path / "server", monkeypatch)
    yield built
    built.close()
