"""Loading the stacks of this repository and rejecting broken stacks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import STACKS

from controlplane.stacks import load_catalogue


def test_catalogue_loads_both_stacks(catalogue) -> None:
    assert catalogue.errors == []
    assert set(catalogue.stacks) == {("bigtop", "3.3"), ("infra", "1.0")}
    bigtop = catalogue.get("bigtop", "3.3")
    assert set(bigtop.services) == {"zookeeper", "kafka", "hdfs", "yarn", "mapreduce", "spark"}
    assert set(catalogue.get("infra", "1.0").services) == {"prometheus", "node_exporter", "mariadb"}


def test_catalogue_get_unknown_stack(catalogue) -> None:
    with pytest.raises(KeyError, match="stack bigtop 9.9 not found"):
        catalogue.get("bigtop", "9.9")


def test_zookeeper_definition(catalogue) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]
    server = zookeeper.components["zookeeper_server"]

    assert zookeeper.role_name == "bigtop_zookeeper"
    assert server.category == "server"
    assert server.cardinality == "1+"
    assert zookeeper.components["zookeeper_client"].category == "client"
    assert server.commands["check"].timeout_seconds == 300
    assert server.commands["install"].timeout_seconds == 1800
    assert server.commands["start"].retryable is True
    assert zookeeper.configs["zoo.cfg"].properties["clientPort"].default == 2181


def test_hdfs_custom_commands(catalogue) -> None:
    hdfs = catalogue.get("bigtop", "3.3").services["hdfs"]

    assert set(hdfs.custom_commands) == {"rebalance", "decommission_datanode"}
    assert hdfs.components["namenode"].commands["rebalance"].custom is True
    assert "rebalance" not in hdfs.components["datanode"].commands


def test_ordering_rules(catalogue) -> None:
    rules = {(rule.component, rule.command): rule.after for rule in catalogue.get("bigtop", "3.3").ordering}

    assert rules[("kafka_broker", "start")] == [("zookeeper_server", "start")]
    assert rules[("zookeeper_server", "stop")] == [("kafka_broker", "stop")]
    assert ("namenode", "start") in rules[("datanode", "start")]


@pytest.mark.parametrize(
    ("count", "cardinality", "valid"),
    [
        (0, "1+", False), (1, "1+", True), (5, "1+", True),
        (0, "0+", True), (1, "1", True), (2, "1", False),
        (2, "3", False), (3, "3", True), (2, "0-1", False), (4, "1-3", False), (2, "1-3", True),
    ],
)
def test_cardinality_error(catalogue, count: int, cardinality: str, valid: bool) -> None:
    component = catalogue.get("bigtop", "3.3").services["zookeeper"].components["zookeeper_server"]
    component.cardinality, original = cardinality, component.cardinality
    try:
        message = component.cardinality_error(count)
    finally:
        component.cardinality = original

    if valid:
        assert message is None
    else:
        assert "zookeeper_server" in message
        assert cardinality in message


def _copy_stacks(tmp_path: Path) -> Path:
    root = tmp_path / "stacks"
    shutil.copytree(STACKS, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not found in {path}"
    path.write_text(text.replace(old, new, 1))


ZOOKEEPER = Path("bigtop/3.3/services/zookeeper")


def _break_template(root: Path) -> None:
    (root / ZOOKEEPER / "templates" / "zoo.cfg.j2").unlink()


def _break_property_type(root: Path) -> None:
    _edit(root / ZOOKEEPER / "configs" / "zoo.cfg.yaml", "type: int", "type: integer")


def _break_cardinality(root: Path) -> None:
    _edit(root / ZOOKEEPER / "service.yaml", "cardinality: 1+", "cardinality: one or more")


def _break_requires(root: Path) -> None:
    _edit(root / "bigtop/3.3/services/kafka/service.yaml", "requires: [zookeeper]", "requires: [zookeepr]")


def _break_ordering(root: Path) -> None:
    _edit(root / "bigtop/3.3/stack.yaml", "zookeeper_server-STOP: [kafka_broker-STOP]",
          "zookeeper_server-START: [kafka_broker-START]")


def _break_escape(root: Path) -> None:
    _edit(root / ZOOKEEPER / "configs" / "zoo.cfg.yaml", "template: zoo.cfg.j2", "template: ../../../../../etc/passwd")


@pytest.mark.parametrize(
    ("breaker", "file_name", "problem"),
    [
        (_break_template, "zoo.cfg.yaml", "template 'zoo.cfg.j2' not found"),
        (_break_property_type, "zoo.cfg.yaml", "unknown property type 'integer'"),
        (_break_cardinality, "service.yaml", "invalid cardinality 'one or more'"),
        (_break_requires, "service.yaml", "requires unknown service 'zookeepr'"),
        (_break_ordering, "stack.yaml",
         "ordering cycle: kafka_broker-START -> zookeeper_server-START -> kafka_broker-START"),
        (_break_escape, "zoo.cfg.yaml", "escapes the stack folder"),
    ],
)
def test_broken_stack_rejected(tmp_path: Path, breaker, file_name: str, problem: str) -> None:
    root = _copy_stacks(tmp_path)
    breaker(root)

    catalogue = load_catalogue([root])

    assert ("bigtop", "3.3") not in catalogue.stacks
    assert ("infra", "1.0") in catalogue.stacks, "a broken stack must not keep other stacks out"
    assert len(catalogue.errors) == 1
    assert file_name in catalogue.errors[0]
    assert problem in catalogue.errors[0]


def test_missing_root_reported(tmp_path: Path) -> None:
    catalogue = load_catalogue([tmp_path / "absent", STACKS])

    assert ("bigtop", "3.3") in catalogue.stacks
    assert catalogue.errors == [f"{tmp_path / 'absent'}: stack folder not found"]
