"""Fixtures that build roles from the stacks of this repository and run them with
ansible-playbook on this machine."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from controlplane.stacks import Catalogue, build_role, load_catalogue
from stackyard.unsafe_yaml import dump_unsafe_yaml

REPOSITORY = Path(__file__).resolve().parents[2]
STACKS = REPOSITORY / "stacks"
VENV_BIN = Path(sys.executable).parent

# A value that runs `id` if Ansible ever evaluates it as a template.
HOSTILE = "{{ lookup('pipe', 'id') }}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> Callable[[], int]:
    """Return a function that returns a TCP port free on 127.0.0.1 at the time of the call."""
    return _free_port


@pytest.fixture
def hostile() -> str:
    return HOSTILE


def ansible_environment(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="default",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue([STACKS])


@pytest.fixture
def current_user() -> dict[str, str]:
    return {
        "stackyard_user": pwd.getpwuid(os.getuid()).pw_name,
        "stackyard_group": grp.getgrgid(os.getgid()).gr_name,
    }


class RoleRunner:
    """Runs one built role against localhost, like the agent does for a task."""

    def __init__(self, tmp_path: Path, role_dir: Path, variables: dict[str, Any]) -> None:
        self.tmp_path = tmp_path
        self.role_dir = role_dir
        self.variables = variables
        self.inventory = tmp_path / "inventory.yml"
        self.inventory.write_text(
            yaml.safe_dump(
                {
                    "all": {
                        "hosts": {
                            "localhost": {
                                "ansible_connection": "local",
                                "ansible_python_interpreter": sys.executable,
                            }
                        }
                    }
                }
            )
        )
        self.playbook = tmp_path / f"playbook-{role_dir.name}.yml"
        self.playbook.write_text(
            yaml.safe_dump([{"name": "Run one command", "hosts": "localhost", "gather_facts": False,
                             "roles": [{"role": str(role_dir)}]}])
        )

    def run(self, command: str, component: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        variables = {**self.variables, "stackyard_command": command, "stackyard_component": component}
        vars_file = self.tmp_path / f"vars-{self.role_dir.name}-{component}-{command}.yml"
        vars_file.write_text(dump_unsafe_yaml(variables))
        result = subprocess.run(
            [str(VENV_BIN / "ansible-playbook"), "-i", str(self.inventory), "-e", f"@{vars_file}", str(self.playbook)],
            capture_output=True,
            text=True,
            errors="replace",
            env=ansible_environment(self.tmp_path),
            timeout=240,
        )
        if check:
            assert result.returncode == 0, f"{command} of {component} failed:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def role_runner(tmp_path: Path, catalogue: Catalogue) -> Callable[..., RoleRunner]:
    def make(stack: str, version: str, service: str, variables: dict[str, Any]) -> RoleRunner:
        stack_def = catalogue.get(stack, version)
        role_dir = build_role(stack_def, stack_def.services[service], tmp_path / "build")
        return RoleRunner(tmp_path, role_dir, variables)

    return make
