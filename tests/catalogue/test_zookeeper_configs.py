"""Configuration versions, rolling apply, scale out and inventory export on a real ZooKeeper.

One server, two agents and one ZooKeeper server serve every test of this module, in order:
the tests after the first build on the service the first one adds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from stackyard.srvr import four_letter_word
from tests.catalogue.conftest import api_error, new_cluster_name, start_deployment
from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.e2e

HOSTILE = "{{ lookup('pipe', 'id') }}"
WHITELIST = "srvr, ruok, mntr, conf, " + HOSTILE


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    deployment = start_deployment(tmp_path_factory.mktemp("zookeeper-configs"), agent_count=2)
    yield deployment
    deployment.stop()


@pytest.fixture(scope="module")
def zookeeper(deployment):
    """Add ZooKeeper (server and client on the first host) to a new cluster of both hosts."""
    admin = deployment.admin
    cluster = new_cluster_name()
    port = free_port()
    admin.post("/clusters", {"name": cluster, "hosts": deployment.hostnames})
    job = admin.post(
        f"/clusters/{cluster}/services",
        {
            "name": "zookeeper",
            "components": {"zookeeper_server": deployment.hostnames[:1], "zookeeper_client": deployment.hostnames[:1]},
            "configs": {"zoo.cfg": {"clientPort": port, "clientPortAddress": "127.0.0.1", "4lw.commands.whitelist": WHITELIST}},
        },
    )
    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job
    yield {"cluster": cluster, "port": port, "base": f"/clusters/{cluster}/services/zookeeper"}
    admin.post(f"/clusters/{cluster}/services/zookeeper/actions", {"action": "stop"})


def _versions(admin, base: str) -> list[dict]:
    return admin.get(f"{base}/configs")


BAD_VALUES = [
    ("int out of range", {"zoo.cfg": {"tickTime": 0}}, ["tickTime", "0", "between 1 and 60000"]),
    ("int not a number", {"zoo.cfg": {"initLimit": "ten"}}, ["initLimit", "ten"]),
    ("bad port", {"zoo.cfg": {"clientPort": 70000}}, ["clientPort", "70000", "65535"]),
    ("unknown property", {"zoo.cfg": {"tickTiem": 3000}}, ["tickTiem", "unknown property", "tickTime"]),
    ("unknown file", {"zoo.conf": {"tickTime": 3000}}, ["zoo.conf", "unknown config file", "zoo.cfg"]),
]


@pytest.mark.parametrize("case, configs, expected", BAD_VALUES, ids=[case[0] for case in BAD_VALUES])
def test_bad_value_rejected_without_version(deployment, zookeeper, case, configs, expected):
    admin = deployment.admin
    before = _versions(admin, zookeeper["base"])

    status, body = api_error(admin, "POST", f"{zookeeper['base']}/configs", {"configs": configs, "message": case})

    assert status == 400
    assert body["field"] == "configs"
    for text in expected:
        assert text in body["message"], body
    assert _versions(admin, zookeeper["base"]) == before


def test_versions_diff_and_revert(deployment, zookeeper):
    admin = deployment.admin
    base = zookeeper["base"]
    first = _versions(admin, base)[0]

    changed = admin.post(f"{base}/configs", {"configs": {"zoo.cfg": {"syncLimit": 7}}, "message": "allow more lag"})
    assert changed["version"] == first["version"] + 1
    assert changed["author"] == "admin"
    assert changed["message"] == "allow more lag"
    assert changed["created_at"]
    assert changed["current"] is True
    assert changed["configs"]["zoo.cfg"]["syncLimit"] == 7

    versions = _versions(admin, base)
    assert [item["version"] for item in versions] == [changed["version"], first["version"]]
    assert admin.get(f"{base}/configs/{first['version']}")["configs"]["zoo.cfg"]["syncLimit"] == 5

    diff = admin.get(f"{base}/configs/diff", params={"from": first["version"], "to": changed["version"]})
    assert diff["changes"] == [{"file": "zoo.cfg", "property": "syncLimit", "from": 5, "to": 7}]

    reverted = admin.post(f"{base}/configs/revert", {"version": first["version"], "message": ""})
    assert reverted["version"] == changed["version"] + 1
    assert reverted["message"] == f"revert to version {first['version']}"
    assert reverted["configs"] == admin.get(f"{base}/configs/{first['version']}")["configs"]
    assert admin.get(f"{base}/configs/diff", params={"from": first["version"], "to": reverted["version"]})["changes"] == []

    status, body = api_error(admin, "GET", f"{base}/configs/99")
    assert status == 404
    assert "99" in body["message"]


def test_apply_restarts_with_new_tick_time(deployment, zookeeper):
    admin = deployment.admin
    base = zookeeper["base"]
    admin.post(f"{base}/configs", {"configs": {"zoo.cfg": {"tickTime": 3000}}, "message": "slower ticks"})

    service = admin.get(base)
    assert service["restart_required"] is True
    assert all(item["restart_required"] for item in service["components"])

    job = admin.post(f"{base}/configs/apply", {"batch_size": 1})
    assert [stage["command"] for stage in job["stages"]] == ["configure", "configure", "stop", "start"]
    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job

    service = admin.get(base)
    assert service["restart_required"] is False
    assert {item["config_version"] for item in service["components"]} == {service["config_version"]}

    zoo_cfg = (deployment.roots[0] / "zookeeper" / "conf" / "zoo.cfg").read_text()
    assert "tickTime=3000" in zoo_cfg
    assert "Mode: standalone" in four_letter_word("127.0.0.1", zookeeper["port"], "srvr")
    assert "tickTime=3000" in four_letter_word("127.0.0.1", zookeeper["port"], "conf")


def test_apply_rejects_bad_batch_size(deployment, zookeeper):
    status, body = api_error(deployment.admin, "POST", f"{zookeeper['base']}/configs/apply", {"batch_size": 0})
    assert status in (400, 422)
    assert "batch_size" in str(body)


def test_scale_out_and_remove_client(deployment, zookeeper):
    admin = deployment.admin
    base = zookeeper["base"]
    second = deployment.hostnames[1]

    job = admin.post(f"{base}/components/zookeeper_client/hosts", {"hosts": [second]})
    assert [stage["command"] for stage in job["stages"]] == ["install", "configure"]
    job = admin.wait_for_job(job["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job
    placed = {(item["component"], item["host"]): item["state"] for item in admin.get(base)["components"]}
    assert placed[("zookeeper_client", second)] == "INSTALLED"
    assert (deployment.roots[1] / "zookeeper" / "conf" / "zoo.cfg").is_file()

    status, body = api_error(admin, "POST", f"{base}/components/zookeeper_client/hosts", {"hosts": [second]})
    assert status == 409
    assert second in body["message"]

    job = admin.wait_for_job(admin.delete(f"{base}/components/zookeeper_client/hosts/{second}")["id"], timeout=300)
    assert job["state"] == "SUCCESSFUL", job
    placed = {(item["component"], item["host"]) for item in admin.get(base)["components"]}
    assert ("zookeeper_client", second) not in placed
    assert ("zookeeper_client", deployment.hostnames[0]) in placed


def test_cardinality_violations_name_component(deployment, zookeeper):
    admin = deployment.admin
    base = zookeeper["base"]
    first = deployment.hostnames[0]

    status, body = api_error(admin, "DELETE", f"{base}/components/zookeeper_client/hosts/{first}")
    assert status == 409
    assert "zookeeper_client" in body["message"]
    assert "cardinality 1+" in body["message"]

    status, body = api_error(admin, "DELETE", f"{base}/components/zookeeper_server/hosts/{first}")
    assert status == 409
    assert "zookeeper_server" in body["message"]

    empty = new_cluster_name()
    admin.post("/clusters", {"name": empty})
    status, body = api_error(admin, "POST", f"/clusters/{empty}/services", {"name": "zookeeper", "components": {"zookeeper_server": []}})
    assert status == 400
    assert body["field"] == "components.zookeeper_server"
    assert "at least 1 host" in body["message"]
    assert admin.get(f"/clusters/{empty}/services") == []

    status, body = api_error(admin, "POST", f"{base}/components/zookeeper_client/hosts", {"hosts": ["no-such-host.invalid"]})
    assert status == 404
    assert "no-such-host.invalid" in body["message"]


def test_inventory_runs_outside_stackyard(deployment, zookeeper, tmp_path):
    admin = deployment.admin
    host = deployment.hostnames[0]

    exported = admin.get(f"/clusters/{zookeeper['cluster']}/inventory")
    assert "!unsafe 'srvr, ruok, mntr, conf, {{ lookup(" in exported
    inventory = yaml.load(exported, Loader=_AnsibleYamlLoader)
    groups = inventory["all"]["children"]
    assert host in groups["zookeeper_server"]["hosts"]
    assert host in groups["zookeeper_client"]["hosts"]
    group_vars = inventory["all"]["vars"]
    assert group_vars["zookeeper_tickTime"] == 3000
    assert group_vars["zookeeper_clientPort"] == zookeeper["port"]
    assert group_vars["stackyard_cluster"] == zookeeper["cluster"]
    assert inventory["all"]["hosts"][host]["stackyard_hostname"] == host

    out = tmp_path / "built"
    build = subprocess.run([sys.executable, "-m", "stackyard.cli", "stacks", "build", str(out)], capture_output=True, text=True, timeout=120)
    assert build.returncode == 0, build.stderr
    playbook = out / "playbooks" / "bigtop_zookeeper.yml"
    assert playbook.is_file()

    # The exported text stays as it is; the connection settings go to host_vars next to it.
    inventory_dir = tmp_path / "inventory"
    (inventory_dir / "host_vars").mkdir(parents=True)
    inventory_file = inventory_dir / "hosts.yml"
    inventory_file.write_text(exported)
    host_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    (inventory_dir / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(host_vars))
    port = free_port()
    root = tmp_path / "outside-root"
    root.mkdir()
    root.chmod(0o755)
    for folder in root.parents:
        if folder in (Path("/tmp"), Path("/")):
            break
        folder.chmod(folder.stat().st_mode | 0o755)

    def run(command: str) -> subprocess.CompletedProcess:
        argv = [
            str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory_file), "--limit", host, str(playbook),
            "-e", f"stackyard_command={command}", "-e", f"stackyard_root_dir={root}", "-e", f"zookeeper_clientPort={port}",
        ]
        return subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=tmp_path)

    try:
        for command in ("install", "configure", "start"):
            result = run(command)
            assert result.returncode == 0, f"{command} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
        assert "Mode: standalone" in four_letter_word("127.0.0.1", port, "srvr")
        assert "Mode: standalone" in four_letter_word("127.0.0.1", zookeeper["port"], "srvr")

        zoo_cfg = (root / "zookeeper" / "conf" / "zoo.cfg").read_text()
        assert "tickTime=3000" in zoo_cfg
        assert f"clientPort={port}" in zoo_cfg
        assert HOSTILE in zoo_cfg
        assert "uid=" not in zoo_cfg
    finally:
        stop = run("stop")
    assert stop.returncode == 0, stop.stdout[-4000:]
    wait_until(lambda: not _answers(port), 30, f"ZooKeeper on port {port} still answers after stop")


class _AnsibleYamlLoader(yaml.SafeLoader):
    """Reads Ansible's ``!unsafe`` tag as a plain string."""


_AnsibleYamlLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def _answers(port: int) -> bool:
    try:
        four_letter_word("127.0.0.1", port, "ruok", timeout=2)
    except OSError:
        return False
    return True
