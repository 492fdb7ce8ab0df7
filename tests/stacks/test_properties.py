"""Validation of config property values."""

from __future__ import annotations

import pytest

from controlplane.stacks import PropertyError


@pytest.mark.parametrize(
    ("file_name", "name", "value", "expected"),
    [
        ("zoo.cfg", "tickTime", 3000, 3000),
        ("zoo.cfg", "tickTime", "3000", 3000),
        ("zoo.cfg", "clientPort", "2182", 2182),
        ("zoo.cfg", "admin.enableServer", "true", True),
        ("zoo.cfg", "admin.enableServer", "no", False),
        ("zoo.cfg", "dataDir", "/srv/zookeeper", "/srv/zookeeper"),
        ("zoo.cfg", "4lw.commands.whitelist", "{{ lookup('pipe', 'id') }}", "{{ lookup('pipe', 'id') }}"),
    ],
)
def test_valid_value_normalized(catalogue, file_name: str, name: str, value, expected) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    validated = zookeeper.validate_values({file_name: {name: value}})

    assert validated[file_name][name] == expected


@pytest.mark.parametrize(
    ("file_name", "name", "value", "rule"),
    [
        ("zoo.cfg", "tickTime", "abc", "must be an integer between 1 and 60000"),
        ("zoo.cfg", "tickTime", 0, "must be an integer between 1 and 60000"),
        ("zoo.cfg", "tickTime", True, "must be an integer between 1 and 60000"),
        ("zoo.cfg", "clientPort", 70000, "must be an integer between 1 and 65535"),
        ("zoo.cfg", "admin.enableServer", "maybe", "must be true or false"),
        ("zoo.cfg", "dataDir", "", "must be a non-empty path"),
        ("zoo.cfg", "4lw.commands.whitelist", "srvr\nruok", "must be a single line"),
        ("zoo.cfg", "noSuchProperty", 1, "unknown property"),
    ],
)
def test_invalid_value_rejected(catalogue, file_name: str, name: str, value, rule: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError) as caught:
        zookeeper.validate_values({file_name: {name: value}})

    assert caught.value.property == name
    assert caught.value.value == value
    assert rule in caught.value.rule
    assert str(caught.value).startswith(f"{file_name} property {name}: value {value!r} is invalid: ")


def test_error_message_names_all_three(catalogue) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError) as caught:
        zookeeper.validate_values({"zoo.cfg": {"tickTime": "abc"}})

    assert str(caught.value) == (
        "zoo.cfg property tickTime: value 'abc' is invalid: must be an integer between 1 and 60000"
    )


def test_unknown_file_rejected(catalogue) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError, match="unknown config file"):
        zookeeper.validate_values({"zoo.conf": {}})


def test_enum_choices(catalogue) -> None:
    spark = catalogue.get("bigtop", "3.3").services["spark"]

    with pytest.raises(PropertyError, match="must be one of yarn, local"):
        spark.validate_values({"spark-defaults.conf": {"spark.master": "mesos"}})


def test_required_password_missing(catalogue) -> None:
    mariadb = catalogue.get("infra", "1.0").services["mariadb"]

    with pytest.raises(PropertyError, match="a value is required"):
        mariadb.validate_values({})


def test_secret_properties(catalogue) -> None:
    mariadb = catalogue.get("infra", "1.0").services["mariadb"]

    assert mariadb.secret_properties() == {("mariadb-users", "service_password")}


def test_role_variable_names(catalogue) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    variables = zookeeper.role_variables({})

    assert variables["zookeeper_tickTime"] == 2000
    assert variables["zookeeper_autopurge_snapRetainCount"] == 3
    assert variables["zookeeper_4lw_commands_whitelist"] == "srvr, ruok, mntr"
    assert variables["zookeeper_admin_enableServer"] is False


def test_default_values(catalogue) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    defaults = zookeeper.default_values()

    assert defaults["zoo.cfg"]["clientPort"] == 2181
    assert defaults["zoo.cfg"]["dataDir"] == "zookeeper/data"
