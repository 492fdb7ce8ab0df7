"""The folder of one task: role, variables file, playbook and inventory for ansible-runner.

Layout under ``<agent home>/tasks/<task id>/``::

    project/roles/<role name>/   the unpacked role archive
    project/vars.yml             the task's variables, every string tagged !unsafe
    project/main.yml             playbook that applies the role to localhost
    inventory/hosts              localhost with the agent's own Python
    task.log                     output lines of the task as they arrive
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import tarfile
from pathlib import Path
from typing import Any

import yaml

from agent.errors import RoleArchiveError
from stackyard.unsafe_yaml import dump_unsafe_yaml

DEFAULT_ROOT_DIR = "/var/lib/stackyard"

# Fact subsets that give roles ansible_pkg_mgr and ansible_os_family without a full fact
# gathering run, which takes seconds on every task.
GATHER_SUBSET = ["!all", "!min", "distribution", "pkg_mgr"]

ROLE_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def parse_variables(variables_json: str, service_root: Path | None) -> dict[str, Any]:
    """Return the task's variables, with ``stackyard_root_dir`` replaced by ``service_root`` when set."""
    if not variables_json:
        variables: Any = {}
    else:
        try:
            variables = json.loads(variables_json)
        except ValueError as error:
            raise RoleArchiveError(f"invalid variables_json: {error}") from error
    if not isinstance(variables, dict):
        raise RoleArchiveError(
            f"invalid variables_json: expected a JSON object, got {type(variables).__name__}"
        )
    if service_root is not None:
        variables["stackyard_root_dir"] = str(service_root)
    return variables


def root_dir_of(variables: dict[str, Any]) -> Path:
    """Return the folder under which the task's service keeps its pid files."""
    return Path(str(variables.get("stackyard_root_dir") or DEFAULT_ROOT_DIR))


def _check_member(member: tarfile.TarInfo, destination: Path) -> None:
    target = (destination / member.name).resolve()
    if member.name.startswith("/") or not target.is_relative_to(destination):
        raise RoleArchiveError(
            f"role archive member {member.name!r} is outside the role folder"
        )
    if not (member.isfile() or member.isdir()):
        raise RoleArchiveError(
            f"role archive member {member.name!r} is a link or device; only files and folders are allowed"
        )


def unpack_role(archive: bytes, role_dir: Path) -> None:
    """Unpack a gzip-compressed tar archive of a role into ``role_dir``.

    The archive may hold the role's files at its top level (``tasks/main.yml``) or inside
    one folder (``<role>/tasks/main.yml``). Members that are links or devices, or whose
    path leaves the folder, raise RoleArchiveError.
    """
    staging = role_dir.with_name(role_dir.name + ".unpack")
    staging.mkdir(parents=True)
    staging_resolved = staging.resolve()
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member, staging_resolved)
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise RoleArchiveError(f"invalid role archive: {error}") from error

    entries = list(staging.iterdir())
    if len(entries) == 1 and entries[0].is_dir() and not (staging / "tasks").exists():
        entries[0].rename(role_dir)
        staging.rmdir()
    else:
        staging.rename(role_dir)
    if not (role_dir / "tasks").is_dir():
        raise RoleArchiveError(
            f"role archive has no tasks/ folder; found {sorted(p.name for p in role_dir.iterdir())}"
        )


def playbook_text(role_name: str) -> str:
    play = {
        "name": f"Apply role {role_name}",
        "hosts": "localhost",
        "gather_facts": True,
        "gather_subset": GATHER_SUBSET,
        "vars_files": ["vars.yml"],
        "roles": [role_name],
    }
    return yaml.safe_dump([play], sort_keys=False)


def inventory_text() -> str:
    return f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"


def prepare_task_dir(
    task_dir: Path, role_name: str, role_archive: bytes, variables: dict[str, Any]
) -> None:
    """Create the folder ansible-runner runs in, replacing what an earlier run of the task left."""
    if not ROLE_NAME_PATTERN.match(role_name):
        raise RoleArchiveError(
            f"invalid role name {role_name!r}: expected letters, digits, '_', '.' or '-'"
        )
    if task_dir.exists():
        shutil.rmtree(task_dir)
    project = task_dir / "project"
    # vars.yml holds password values in clear text, so only the agent's user may read the folder.
    task_dir.mkdir(parents=True, mode=0o700)
    task_dir.chmod(0o700)
    (task_dir / "inventory").mkdir(parents=True)
    (project / "roles").mkdir(parents=True)

    unpack_role(role_archive, project / "roles" / role_name)
    (project / "vars.yml").write_text(dump_unsafe_yaml(variables), encoding="utf-8")
    (project / "main.yml").write_text(playbook_text(role_name), encoding="utf-8")
    (task_dir / "inventory" / "hosts").write_text(inventory_text(), encoding="utf-8")
