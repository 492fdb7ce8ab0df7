"""Which component runs a custom command: the stack loader, the job planner and the compiled role."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from controlplane.config import BUILTIN_STACKS_DIR
from controlplane.jobs.requests import action_stages
from controlplane.stacks import build_role, load_catalogue
from tests.catalogue.conftest import TEST_STACKS


@pytest.fixture(scope="module")
def bigtop():
    catalogue = load_catalogue([BUILTIN_STACKS_DIR])
    assert catalogue.errors == []
    return catalogue.get("bigtop", "3.3")


def test_hdfs_rebalance_planned_on_namenode_only(bigtop):
    hdfs = bigtop.services["hdfs"]
    hosts = {"namenode": ["nn1"], "secondarynamenode": ["snn1"], "datanode": ["dn1", "dn2"], "hdfs_client": ["edge1"]}

    for command in ("rebalance", "decommission_datanode"):
        stages = action_stages(bigtop, hdfs, hosts, command)
        assert [(stage.component, stage.hosts) for stage in stages] == [("namenode", ["nn1"])], command
        assert stages[0].timeout_seconds == hdfs.custom_commands[command].timeout_seconds


def test_hdfs_role_accepts_rebalance_for_namenode_only(bigtop, tmp_path):
    role = build_role(bigtop, bigtop.services["hdfs"], tmp_path)
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text().replace("!unsafe ", ""))
    commands = defaults["hdfs_component_commands"]

    assert "rebalance" in commands["namenode"]
    for component in ("secondarynamenode", "datanode", "hdfs_client"):
        assert "rebalance" not in commands[component], component


def _copy_marker_stack(tmp_path: Path) -> Path:
    """Copy the test stack to ``tmp_path``; return the marker service.yaml."""
    shutil.copytree(TEST_STACKS, tmp_path / "stacks")
    return tmp_path / "stacks" / "testing" / "1.0" / "services" / "marker" / "service.yaml"


def _set_owner(service_file: Path, owner) -> None:
    data = yaml.safe_load(service_file.read_text())
    if owner is None:
        del data["custom_commands"]["write_marker"]["component"]
    else:
        data["custom_commands"]["write_marker"]["component"] = owner
    service_file.write_text(yaml.safe_dump(data))


def test_component_key_sets_owner(tmp_path):
    _copy_marker_stack(tmp_path)
    marker = load_catalogue([tmp_path / "stacks"]).get("testing", "1.0").services["marker"]

    assert marker.custom_commands["write_marker"].component == "marker_server"
    assert "write_marker" in marker.components["marker_server"].commands
    assert "write_marker" not in marker.components["marker_client"].commands


@pytest.mark.parametrize(
    "owner, problem",
    [
        (None, "set its component key"),
        ("no_such_component", "component 'no_such_component' is not a component of this service"),
    ],
)
def test_bad_owner_rejected(tmp_path, owner, problem):
    service_file = _copy_marker_stack(tmp_path)
    _set_owner(service_file, owner)

    catalogue = load_catalogue([tmp_path / "stacks"])

    assert catalogue.stacks == {}
    assert len(catalogue.errors) == 1
    assert str(service_file.resolve()) in catalogue.errors[0]
    assert problem in catalogue.errors[0]
