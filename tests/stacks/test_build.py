"""Building roles and playbooks, checking them with ansible-playbook --syntax-check and
ansible-lint, and rendering config templates with Ansible against expected files."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from conftest import VENV_BIN, ansible_environment

from controlplane.stacks import build_catalogue, build_role, role_archive
from stackyard.unsafe_yaml import dump_unsafe_yaml

EXPECTED = Path(__file__).parent / "expected"

# Rules skipped on the built roles, because the architecture fixes these names:
#   var-naming[no-role-prefix]  roles read stackyard_* and <service>_<property> variables,
#                               not variables prefixed with the role name bigtop_zookeeper.
#   var-naming[pattern]         property names keep the spelling of the config file, for
#                               example zookeeper_tickTime.
#   role-name[path]             playbooks name their role by the path ../roles/<role>, so
#                               they run from any folder without an ansible.cfg.
LINT_SKIPS = "var-naming[no-role-prefix],var-naming[pattern],role-name[path]"


@pytest.fixture(scope="module")
def built(tmp_path_factory, catalogue) -> Path:
    out = tmp_path_factory.mktemp("built")
    build_catalogue(catalogue, out)
    return out


def test_build_writes_roles_and_playbooks(built: Path) -> None:
    role = built / "roles" / "bigtop_zookeeper"

    for relative in ("tasks/main.yml", "tasks/start.yml", "tasks/stackyard_daemon.yml", "templates/zoo.cfg.j2",
                     "defaults/main.yml", "meta/main.yml", "meta/argument_specs.yml"):
        assert (role / relative).is_file(), f"{relative} missing from the built role"
    assert (built / "playbooks" / "bigtop_zookeeper.yml").is_file()
    assert (built / "playbooks" / "infra_mariadb.yml").is_file()


def test_argument_specs_from_property_types(built: Path) -> None:
    zookeeper = yaml.safe_load((built / "roles/bigtop_zookeeper/meta/argument_specs.yml").read_text())
    mariadb = yaml.safe_load((built / "roles/infra_mariadb/meta/argument_specs.yml").read_text())
    options = zookeeper["argument_specs"]["main"]["options"]
    mariadb_options = mariadb["argument_specs"]["main"]["options"]

    assert options["zookeeper_tickTime"]["type"] == "int"
    assert options["zookeeper_admin_enableServer"]["type"] == "bool"
    assert options["zookeeper_dataDir"]["type"] == "str"
    assert options["stackyard_command"]["required"] is True
    assert mariadb_options["mariadb_service_password"]["no_log"] is True


def test_defaults_tag_strings_unsafe(built: Path) -> None:
    defaults = (built / "roles/bigtop_zookeeper/defaults/main.yml").read_text()

    assert "zookeeper_dataDir: !unsafe 'zookeeper/data'" in defaults
    assert "zookeeper_clientPort: 2181" in defaults


def test_playbooks_pass_syntax_check(built: Path, tmp_path: Path) -> None:
    for playbook in sorted((built / "playbooks").glob("*.yml")):
        result = subprocess.run(
            [str(VENV_BIN / "ansible-playbook"), "--syntax-check", "-i", "localhost,", str(playbook)],
            capture_output=True, text=True, errors="replace", env=ansible_environment(tmp_path), timeout=120,
        )
        assert result.returncode == 0, f"{playbook.name}:\n{result.stdout}\n{result.stderr}"


def test_roles_pass_ansible_lint(built: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--offline", "--nocolor", "--profile", "production", "-x", LINT_SKIPS,
         "roles", "playbooks"],
        cwd=built, capture_output=True, text=True, errors="replace", env=ansible_environment(tmp_path), timeout=300,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_role_archive_stable(catalogue) -> None:
    stack = catalogue.get("bigtop", "3.3")
    zookeeper = stack.services["zookeeper"]

    first = role_archive(stack, zookeeper)
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        names = tar.getnames()

    assert role_archive(stack, zookeeper) == first
    assert "bigtop_zookeeper/tasks/main.yml" in names
    assert all(name.startswith("bigtop_zookeeper") for name in names)


def _render(tmp_path: Path, catalogue, stack: str, service: str, values: dict, variables: dict,
            templates: list[str]) -> Path:
    """Render templates of a built role with ansible-playbook and return the output folder."""
    stack_def = catalogue.get(stack, "3.3" if stack == "bigtop" else "1.0")
    service_def = stack_def.services[service]
    role = build_role(stack_def, service_def, tmp_path / "build")
    out = tmp_path / "rendered"
    out.mkdir()
    vars_file = tmp_path / "vars.yml"
    vars_file.write_text(dump_unsafe_yaml(
        {**service_def.role_variables(values), **variables, "ansible_managed": "Managed by Stackyard"}
    ))
    playbook = tmp_path / "render.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Render templates",
        "hosts": "localhost",
        "gather_facts": False,
        "vars_files": [str(role / "defaults" / "main.yml"), str(role / "vars" / "main.yml")],
        "tasks": [
            {"name": f"Render {name}", "ansible.builtin.template": {
                "src": str(role / "templates" / f"{name}.j2"), "dest": str(out / name), "mode": "0644"}}
            for name in templates
        ],
    }]))
    result = subprocess.run(
        [str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}",
         "-e", f"@{vars_file}", str(playbook)],
        capture_output=True, text=True, errors="replace", env=ansible_environment(tmp_path), timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return out


def test_kafka_server_properties(tmp_path: Path, catalogue) -> None:
    out = _render(
        tmp_path, catalogue, "bigtop", "kafka",
        values={"kafka-install": {"tarball_url": "http://127.0.0.1:1/kafka.tgz", "tarball_sha256": "0" * 64}},
        variables={
            "stackyard_root_dir": "/srv/stackyard",
            "stackyard_hostname": "broker2.example.test",
            "stackyard_component": "kafka_broker",
            "stackyard_component_hosts": {
                "zookeeper_server": ["zk1.example.test", "zk2.example.test", "zk3.example.test"],
                "kafka_broker": ["broker1.example.test", "broker2.example.test"],
            },
        },
        templates=["server.properties"],
    )

    assert (out / "server.properties").read_text() == (EXPECTED / "server.properties").read_text()


def test_hdfs_site_files(tmp_path: Path, catalogue) -> None:
    out = _render(
        tmp_path, catalogue, "bigtop", "hdfs",
        values={"hdfs-site.xml": {"dfs.replication": 2, "dfs.datanode.data.dir": "/data/1/<dn>&"}},
        variables={
            "stackyard_root_dir": "/srv/stackyard",
            "stackyard_hostname": "dn1.example.test",
            "stackyard_component": "datanode",
            "stackyard_component_hosts": {"namenode": ["nn.example.test"], "datanode": ["dn1.example.test"]},
        },
        templates=["core-site.xml", "hdfs-site.xml"],
    )

    assert (out / "core-site.xml").read_text() == (EXPECTED / "core-site.xml").read_text()
    assert (out / "hdfs-site.xml").read_text() == (EXPECTED / "hdfs-site.xml").read_text()
