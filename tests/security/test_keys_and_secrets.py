"""Server keys are private files made at first start, and password properties are stored encrypted."""

from __future__ import annotations

import re
import stat
from pathlib import Path

from controlplane.configs import read_values
from controlplane.db import database
from controlplane.models import Cluster, ConfigVersion, Service

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "Plaintext-Secret-4c1d"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_created_private(app_server):
    home = app_server.config.home
    for name in ("token.key", "data.key"):
        path = home / name
        assert path.is_file(), name
        assert _mode(path) == 0o600, f"{name} has mode {oct(_mode(path))}"
        assert len(path.read_bytes().strip()) >= 32, name


def test_keys_differ_between_servers(app_server, tmp_path, monkeypatch):
    from tests.support.inprocess import build_server

    other = build_server(tmp_path / "other", monkeypatch)
    try:
        for name in ("token.key", "data.key"):
            assert (app_server.config.home / name).read_bytes() != (other.config.home / name).read_bytes(), name
    finally:
        other.close()


def test_loose_key_mode_is_tightened(tmp_path, monkeypatch):
    from tests.support.inprocess import build_server

    first = build_server(tmp_path / "home", monkeypatch)
    first.close()
    key = tmp_path / "home" / "data.key"
    original = key.read_bytes()
    key.chmod(0o644)

    second = build_server(tmp_path / "home", monkeypatch)
    try:
        assert _mode(key) == 0o600
        assert key.read_bytes() == original, "a restart must reuse the existing key"
    finally:
        second.close()


def test_no_fixed_key_in_code():
    patterns = [
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        re.compile(r"Fernet\(\s*b?['\"]"),
        re.compile(r"hmac\.new\(\s*b['\"]"),
        re.compile(r"(token_key|secret_key|SECRET_KEY)\s*=\s*b?['\"][^'\"]{8,}['\"]"),
    ]
    found = []
    for folder in ("controlplane", "agent", "stackyard"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8", errors="replace")
            for pattern in patterns:
                for match in pattern.finditer(text):
                    found.append(f"{path.relative_to(REPO_ROOT)}: {match.group(0)}")
    assert not found, found


def _mariadb_service(app_server) -> None:
    admin = app_server.login()
    assert admin.post("/clusters", {"name": "secrets", "stack_name": "infra", "stack_version": "1.0"}).status_code == 201
    # Adding a service through the API starts an install job that needs an agent; the
    # configuration endpoints below only need the service record.
    with database.connection_context():
        Service.create(cluster=Cluster.get(Cluster.name == "secrets"), name="mariadb", state="INSTALLED")


def test_password_property_is_encrypted(app_server):
    _mariadb_service(app_server)
    admin = app_server.login()
    response = admin.post(
        "/clusters/secrets/services/mariadb/configs",
        {"configs": {"mariadb-users": {"service_password": SECRET}}, "message": "set the password"},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["configs"]["mariadb-users"]["service_password"] == "********"
    assert SECRET not in admin.get("/clusters/secrets/services/mariadb/configs").get_data(as_text=True)

    with database.connection_context():
        version = ConfigVersion.get()
        assert SECRET not in version.values
        assert read_values(app_server.context, version)["mariadb-users"]["service_password"] == SECRET
    database.close()

    stored = b"".join(path.read_bytes() for path in app_server.config.home.glob("stackyard.db*"))
    assert SECRET.encode() not in stored
    assert b"service_password" not in stored, "property names are encrypted along with the values"


def test_password_change_diff_is_masked(app_server):
    _mariadb_service(app_server)
    admin = app_server.login()
    path = "/clusters/secrets/services/mariadb/configs"
    admin.post(path, {"configs": {"mariadb-users": {"service_password": SECRET}}})
    admin.post(path, {"configs": {"mariadb-users": {"service_password": SECRET + "-2"}}})

    diff = admin.get(path + "/diff?from=1&to=2")
    assert diff.status_code == 200
    assert diff.get_json()["changes"] == [{"file": "mariadb-users", "property": "service_password", "from": "********", "to": "********"}]
    assert SECRET not in diff.get_data(as_text=True)
    assert SECRET not in app_server.login().get("/audit").get_data(as_text=True)


def test_inventory_export_hides_password(app_server):
    _mariadb_service(app_server)
    app_server.login().post("/clusters/secrets/services/mariadb/configs", {"configs": {"mariadb-users": {"service_password": SECRET}}})
    _, viewer = app_server.create_user("viewer")

    inventory = viewer.get("/clusters/secrets/inventory")
    assert inventory.status_code == 200
    assert SECRET not in inventory.get_data(as_text=True)
