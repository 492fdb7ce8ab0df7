"""The stackyard command line: stacks build and the api shortcut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.processes import ADMIN_PASSWORD

STACKYARD = [sys.executable, "-m", "stackyard.cli"]
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


def test_stacks_build_writes_checkable_playbooks(tmp_path):
    result = subprocess.run([*STACKYARD, "stacks", "build", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "roles" / "bigtop_zookeeper" / "meta" / "argument_specs.yml").exists()

    playbook = tmp_path / "playbooks" / "bigtop_zookeeper.yml"
    check = subprocess.run([ANSIBLE_PLAYBOOK, "--syntax-check", "-i", "localhost,", str(playbook)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_unknown_command_exits_with_usage():
    result = subprocess.run([*STACKYARD, "frobnicate"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


@pytest.mark.e2e
def test_api_shortcut_prints_json(server):
    env = dict(os.environ, STACKYARD_URL=server.url, STACKYARD_PASSWORD=ADMIN_PASSWORD)
    created = subprocess.run([*STACKYARD, "api", "POST", "/clusters", '{"name": "cli-made"}'], capture_output=True, text=True, timeout=60, env=env)
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["name"] == "cli-made"

    missing = subprocess.run([*STACKYARD, "api", "GET", "/clusters/nope"], capture_output=True, text=True, timeout=60, env=env)
    assert missing.returncode == 1
    assert "cluster 'nope' not found" in missing.stderr


@pytest.mark.e2e
def test_api_shortcut_reports_errors_plainly(server):
    env = dict(os.environ, STACKYARD_URL=server.url, STACKYARD_PASSWORD="wrong-password")
    wrong = subprocess.run([*STACKYARD, "api", "GET", "clusters"], capture_output=True, text=True, timeout=60, env=env)
    assert wrong.returncode == 1
    assert "wrong username or password" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    env["STACKYARD_PASSWORD"] = ADMIN_PASSWORD
    malformed = subprocess.run([*STACKYARD, "api", "POST", "/clusters", "{not json"], capture_output=True, text=True, timeout=60, env=env)
    assert malformed.returncode == 2
    assert "invalid JSON body" in malformed.stderr

    unreachable = subprocess.run([*STACKYARD, "api", "GET", "/clusters", "--url", "http://127.0.0.1:1"], capture_output=True, text=True, timeout=60, env=env)
    assert unreachable.returncode == 1
    assert "cannot reach the server" in unreachable.stderr
