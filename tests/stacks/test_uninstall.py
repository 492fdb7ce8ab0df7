"""Run the uninstall command of built roles with ansible-playbook and check which folders
it removes: only those inside the service folder under stackyard_root_dir."""

from __future__ import annotations

from pathlib import Path


def _uninstall(tmp_path: Path, catalogue, role_runner, current_user, data_dir: str):
    root = tmp_path / "root"
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]
    variables = zookeeper.role_variables({"zoo.cfg": {"dataDir": data_dir, "clientPortAddress": "127.0.0.1"}})
    variables.update(
        current_user,
        stackyard_cluster="test",
        stackyard_hostname="localhost",
        stackyard_component_hosts={"zookeeper_server": ["localhost"]},
        stackyard_root_dir=str(root),
    )
    runner = role_runner("bigtop", "3.3", "zookeeper", variables)
    return runner.run("uninstall", "zookeeper_server")


def _make_folder_with_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    marker = folder / "keep.txt"
    marker.write_text("data of another program\n")
    return marker


def test_uninstall_keeps_data_dir_outside_root(tmp_path: Path, catalogue, role_runner, current_user) -> None:
    outside = tmp_path / "outside" / "zookeeper-data"
    marker = _make_folder_with_file(outside)
    (tmp_path / "root" / "zookeeper" / "conf").mkdir(parents=True)

    result = _uninstall(tmp_path, catalogue, role_runner, current_user, str(outside))

    assert marker.is_file(), "uninstall removed a data folder outside the root folder"
    assert f"Kept {outside}" in result.stdout
    assert not (tmp_path / "root" / "zookeeper").exists()


def test_uninstall_keeps_symlinked_data_dir(tmp_path: Path, catalogue, role_runner, current_user) -> None:
    # The HDFS role keeps the shared hadoop folder, so a symlink inside it survives the
    # removal of the other paths and a path through it resolves outside the root folder.
    root = tmp_path / "root"
    outside = tmp_path / "outside"
    marker = _make_folder_with_file(outside / "data")
    (root / "hadoop").mkdir(parents=True)
    (root / "hadoop" / "link").symlink_to(outside)
    hdfs = catalogue.get("bigtop", "3.3").services["hdfs"]
    variables = hdfs.role_variables({"hdfs-site.xml": {"dfs.datanode.data.dir": "hadoop/link/data"}})
    variables.update(current_user, stackyard_hostname="localhost", stackyard_root_dir=str(root))
    runner = role_runner("bigtop", "3.3", "hdfs", variables)

    result = runner.run("uninstall", "datanode")

    assert marker.is_file(), "uninstall followed a symlink out of the root folder"
    assert f"Kept {root}/hadoop/link/data" in result.stdout


def test_uninstall_removes_data_dir_inside_root(tmp_path: Path, catalogue, role_runner, current_user) -> None:
    data = tmp_path / "root" / "zookeeper" / "data"
    _make_folder_with_file(data / "version-2")

    result = _uninstall(tmp_path, catalogue, role_runner, current_user, "zookeeper/data")

    assert not data.exists()
    assert not (tmp_path / "root" / "zookeeper").exists()
    assert "Kept " not in result.stdout
