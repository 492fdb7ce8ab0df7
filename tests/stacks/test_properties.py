"""Validation of config property values."""

from __future__ import annotations

import pytest

from controlplane.stacks import PropertyError
from controlplane.stacks.properties import property_from_mapping


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


@pytest.mark.parametrize(
    "path",
    ["/data/zk", "/var/lib/zookeeper", "/tmp/x/zookeeper", "/srv/zookeeper", "/usr/lib/jvm/default-java",
     "zookeeper/data", "zk data/$(id) 'quoted'"],
)
def test_path_accepted(catalogue, path: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    assert zookeeper.validate_values({"zoo.cfg": {"dataDir": path}})["zoo.cfg"]["dataDir"] == path


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("/", "must not be the root folder /"),
        ("//", "must not be the root folder /"),
        ("/etc", "must not be a system folder or a folder directly under one (/etc)"),
        ("/etc/", "must not be a system folder or a folder directly under one (/etc)"),
        ("//etc", "must not be a system folder or a folder directly under one (/etc)"),
        ("/./etc/ssl", "must not be a system folder or a folder directly under one (/etc)"),
        ("/var/lib", "must not be a system folder or a folder directly under one (/var)"),
        ("/tmp", "must not be a system folder or a folder directly under one (/tmp)"),
        ("/tmp/x", "must not be a system folder or a folder directly under one (/tmp)"),
        ("/home/alice", "must not be a system folder or a folder directly under one (/home)"),
        ("/usr", "must not be a system folder or a folder directly under one (/usr)"),
        ("/root/.ssh", "must not be a system folder or a folder directly under one (/root)"),
        ("/proc/self/root/etc", "must not be under /proc"),
        ("/data", "must not be a folder directly under /"),
        ("../../../../etc", "must not contain a .. component"),
        ("zookeeper/../../..", "must not contain a .. component"),
        ("/data/zk/../../etc", "must not contain a .. component"),
        (".", "must name a folder below stackyard_root_dir"),
        ("/data/zk\x00", "must not contain a NUL character"),
        ("/data/zk\n/etc", "must be a single line"),
        (" /etc", "must not start or end with white space"),
        ("/data/$HOME", "must not contain $NAME or ${NAME}"),
        ("/data/${HOME}/zk", "must not contain $NAME or ${NAME}"),
    ],
)
def test_path_rejected(catalogue, path: str, rule: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError) as caught:
        zookeeper.validate_values({"zoo.cfg": {"dataDir": path}})

    assert caught.value.property == "dataDir"
    assert rule in caught.value.rule
    assert str(caught.value).startswith(f"zoo.cfg property dataDir: value {path!r} is invalid: ")


def test_path_rules_cover_every_path_property(catalogue) -> None:
    for stack in catalogue.stacks.values():
        for service in stack.services.values():
            for config in service.configs.values():
                for prop in config.properties.values():
                    if prop.type != "path":
                        continue
                    with pytest.raises(PropertyError, match="must not contain a .. component"):
                        prop.validate("../../../../etc")


@pytest.mark.parametrize(
    ("file_name", "name", "rule"),
    [
        ("zoo.cfg", "tickTime", "must be an integer between 1 and 60000"),
        ("zoo.cfg", "clientPort", "must be an integer between 1 and 65535"),
        ("zoo.cfg", "admin.enableServer", "must be true or false"),
        ("zoo.cfg", "dataDir", "must be a non-empty path"),
        ("zoo.cfg", "clientPortAddress", "must be an IP address or a host name"),
        ("zoo.cfg", "4lw.commands.whitelist", "must be a string"),
    ],
)
def test_null_rejected(catalogue, file_name: str, name: str, rule: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError) as caught:
        zookeeper.validate_values({file_name: {name: None}})

    assert str(caught.value) == f"{file_name} property {name}: value null is invalid: {rule}"


def test_null_rejected_for_every_property(catalogue) -> None:
    for stack in catalogue.stacks.values():
        for service in stack.services.values():
            for config in service.configs.values():
                for prop in config.properties.values():
                    with pytest.raises(PropertyError, match="value null is invalid"):
                        prop.validate(None)


KAFKA_INSTALL = {"tarball_url": "https://mirror.example.test/kafka_2.13-3.7.0.tgz", "tarball_sha256": "ab" * 32}


@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("tarball_url", "", "a value is required"),
        ("tarball_url", "   ", "a value is required"),
        ("tarball_url", "mirror.example.test/kafka.tgz", "must match the regular expression"),
        ("tarball_url", "ftp://mirror.example.test/kafka.tgz", "must match the regular expression"),
        ("tarball_url", "https://mirror.example.test/a b.tgz", "must match the regular expression"),
        ("tarball_sha256", "", "a value is required"),
        ("tarball_sha256", "0" * 63, "must match the regular expression [0-9a-fA-F]{64}"),
        ("tarball_sha256", "g" * 64, "must match the regular expression [0-9a-fA-F]{64}"),
        ("tarball_sha256", "0" * 64 + "\n", "must be a single line"),
    ],
)
def test_kafka_install_rejected(catalogue, name: str, value: str, rule: str) -> None:
    kafka = catalogue.get("bigtop", "3.3").services["kafka"]

    with pytest.raises(PropertyError) as caught:
        kafka.validate_values({"kafka-install": {**KAFKA_INSTALL, name: value}})

    assert caught.value.property == name
    assert rule in caught.value.rule


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/kafka.tgz", "https://mirror.example.test/kafka.tgz",
                                 "file:///srv/mirror/kafka.tgz"])
def test_kafka_tarball_url_accepted(catalogue, url: str) -> None:
    kafka = catalogue.get("bigtop", "3.3").services["kafka"]

    validated = kafka.validate_values({"kafka-install": {**KAFKA_INSTALL, "tarball_url": url}})

    assert validated["kafka-install"]["tarball_url"] == url


def test_required_password_empty(catalogue) -> None:
    mariadb = catalogue.get("infra", "1.0").services["mariadb"]

    with pytest.raises(PropertyError, match="a value is required"):
        mariadb.validate_values({"mariadb-users": {"service_password": ""}})


def test_kafka_defaults_fit_one_broker(catalogue) -> None:
    kafka = catalogue.get("bigtop", "3.3").services["kafka"]

    defaults = kafka.default_values()["server.properties"]

    assert defaults["default.replication.factor"] == 1
    assert defaults["offsets.topic.replication.factor"] == 1
    assert defaults["min.insync.replicas"] == 1


@pytest.mark.parametrize(
    "address", ["0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1%eth0", "zk1.example.test", "localhost", "zk-1."],
)
def test_host_accepted(catalogue, address: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    validated = zookeeper.validate_values({"zoo.cfg": {"clientPortAddress": address}})

    assert validated["zoo.cfg"]["clientPortAddress"] == address


@pytest.mark.parametrize(
    "address",
    ["$(id); rm -rf /", "", " 127.0.0.1", "127.0.0.1:2181", "-zk1", "zk1..example", "zk_1", "a" * 64, "*",
     "{{ lookup('pipe', 'id') }}"],
)
def test_host_rejected(catalogue, address: str) -> None:
    zookeeper = catalogue.get("bigtop", "3.3").services["zookeeper"]

    with pytest.raises(PropertyError) as caught:
        zookeeper.validate_values({"zoo.cfg": {"clientPortAddress": address}})

    assert caught.value.rule == "must be an IP address or a host name"


@pytest.mark.parametrize(
    ("stack", "service", "file_name", "name"),
    [
        ("infra", "mariadb", "my.cnf", "bind-address"),
        ("infra", "node_exporter", "node_exporter", "listen_address"),
        ("infra", "prometheus", "prometheus-server", "listen_address"),
    ],
)
def test_listen_addresses_are_hosts(catalogue, stack: str, service: str, file_name: str, name: str) -> None:
    prop = catalogue.get(stack, "1.0").services[service].configs[file_name].properties[name]

    with pytest.raises(PropertyError, match="must be an IP address or a host name"):
        prop.validate("0.0.0.0 --web.config.file=/etc/shadow")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"type": "string"}, "set a default or required: true"),
        ({"type": "int", "default": 1, "pattern": "[0-9]+"}, "key pattern is only valid for types"),
        ({"type": "string", "default": "a", "pattern": "("}, "invalid pattern"),
        ({"type": "string", "default": "a", "pattern": "[0-9]+"}, "invalid default"),
        ({"type": "host", "default": "not a host"}, "invalid default"),
    ],
)
def test_property_definition_rejected(data: dict, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        property_from_mapping("example", data)
