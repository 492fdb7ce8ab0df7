"""Run the built ZooKeeper role with ansible-playbook: install, configure, start, check,
status and stop of a real server on a free loopback port."""

from __future__ import annotations

import os
import signal
from pathlib import Path


def test_zookeeper_lifecycle(tmp_path: Path, catalogue, role_runner, current_user, free_port, hostile) -> None:
    root = tmp_path / "root"
    port = free_port()
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]
    whitelist = f"srvr, ruok, {hostile}"
    data_dir = f"zk data/{hostile} $(id) 'quoted'"
    variables = zookeeper.role_variables(
        {
            "zoo.cfg": {
                "clientPort": port,
                "clientPortAddress": "127.0.0.1",
                "4lw.commands.whitelist": whitelist,
                "dataDir": data_dir,
            }
        }
    )
    variables.update(
        current_user,
        stackyard_cluster="test",
        stackyard_hostname="localhost",
        stackyard_component_hosts={"zookeeper_server": ["localhost"], "zookeeper_client": ["localhost"]},
        stackyard_root_dir=str(root),
    )
    runner = role_runner("bigtop", "3.3", "zookeeper", variables)
    pid_file = root / "run" / "zookeeper_server.pid"

    try:
        for command in ("install", "configure", "start", "check", "status"):
            runner.run(command, "zookeeper_server")
        runner.run("check", "zookeeper_client")

        zoo_cfg = (root / "zookeeper" / "conf" / "zoo.cfg").read_text()
        assert f"4lw.commands.whitelist={whitelist}\n" in zoo_cfg
        assert f"dataDir={root}/{data_dir}\n" in zoo_cfg
        assert "uid=" not in zoo_cfg
        assert (root / data_dir / "myid").read_text().strip() == "1"
        assert (root / data_dir / "version-2").is_dir()
        daemon_pid = int(pid_file.read_text())
        assert os.getsid(daemon_pid) == daemon_pid, "the server should lead its own session"

        runner.run("stop", "zookeeper_server")
        assert not pid_file.exists()
        assert not Path(f"/proc/{daemon_pid}").exists()
        status = runner.run("status", "zookeeper_server", check=False)
        assert status.returncode != 0, "status should fail after stop"

        runner.run("uninstall", "zookeeper_server")
        assert not (root / "zookeeper").exists()
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_zookeeper_rejects_command(tmp_path: Path, role_runner, current_user) -> None:
    runner = role_runner("bigtop", "3.3", "zookeeper", {**current_user, "stackyard_root_dir": str(tmp_path / "root")})

    result = runner.run("start", "zookeeper_client", check=False)

    assert result.returncode != 0
    assert "command start is not valid for component zookeeper_client" in result.stdout
