"""Bad and hostile input gets a 4xx JSON answer naming the field, and the server keeps serving."""

from __future__ import annotations

import pytest

from controlplane.db import database
from controlplane.models import Cluster

HOSTILE = "{{ lookup('pipe', 'id') }}; $(id) `id` '; DROP TABLE clusters; --"


def _cluster_count() -> int:
    with database.connection_context():
        return Cluster.select().count()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Upper"}, "name"),
        ({"name": "a b"}, "name"),
        ({"name": "../etc"}, "name"),
        ({"name": "x" * 64}, "name"),
        ({"name": "ok", "root_dir": "relative/path"}, "root_dir"),
        ({"name": "ok", "root_dir": "/tmp/$(id)"}, "root_dir"),
        ({"name": "ok", "user_group": "wheel;id"}, "user_group"),
        ({"name": 5}, "name"),
        ({"name": "ok", "hosts": "node-1"}, "hosts"),
        ({"name": "ok", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_cluster_names_field(app_server, body, field):
    response = app_server.login().post("/clusters", body)
    assert response.status_code == 400
    payload = response.get_json()
    assert field in payload["errors"]["json"], payload
    assert field in payload["message"]
    assert _cluster_count() == 0, "a rejected request must not leave a record"


@pytest.mark.parametrize("hostname", ["bad host", "-lead", "a..b", "x" * 254, "host;id", "$(id)"])
def test_invalid_hostname_is_rejected(app_server, hostname):
    response = app_server.login().post("/clusters", {"name": "hosts", "stack_name": "infra", "stack_version": "1.0", "hosts": [hostname]})
    assert response.status_code == 400
    assert "hosts" in response.get_json()["message"]
    assert _cluster_count() == 0


def test_unknown_host_leaves_no_cluster(app_server):
    response = app_server.login().post("/clusters", {"name": "half", "stack_name": "infra", "stack_version": "1.0", "hosts": ["node-1"]})
    assert response.status_code == 404
    assert response.get_json()["field"] == "hosts"
    assert _cluster_count() == 0


def test_hostile_description_is_stored_verbatim(app_server):
    admin = app_server.login()
    assert admin.post("/clusters", {"name": "verbatim", "description": HOSTILE, "stack_name": "infra", "stack_version": "1.0"}).status_code == 201
    assert admin.get("/clusters/verbatim").get_json()["description"] == HOSTILE
    assert [cluster["name"] for cluster in admin.get("/clusters").get_json()] == ["verbatim"]


def test_hostile_names_in_url_are_data(app_server):
    admin = app_server.login()
    for path in ("/clusters/x' OR '1'='1", "/clusters/%2e%2e%2f%2e%2e%2fetc", "/hosts/$(id)", "/clusters/a/services/{{7*7}}"):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert response.is_json


def test_job_action_name_is_validated(app_server):
    response = app_server.login().post("/clusters/none/services/zookeeper/actions", {"action": "start; rm -rf /"})
    assert response.status_code == 400
    assert "action" in response.get_json()["errors"]["json"]


def test_log_path_cannot_leave_folder(app_server):
    admin = app_server.login()
    for path in ("/jobs/1/tasks/..%2f..%2ftoken.key/log", "/jobs/../../token.key/tasks/1/log", "/jobs/1/tasks/-1/log", "/jobs/1/tasks/1.5/log"):
        response = admin.get(path)
        assert response.status_code == 404, path
        assert b"token" not in response.data.split(b'"message"')[0]
    assert admin.get("/jobs/1/tasks/1/log").get_json()["message"] == "task 1 of job 1 not found"


def test_oversized_body_is_413(app_server):
    admin = app_server.login()
    limit = app_server.config.max_body_bytes
    response = admin.post("/clusters", data=b'{"name": "' + b"a" * limit + b'"}', headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.is_json
    assert response.get_json()["code"] == 413
    assert admin.get("/clusters").status_code == 200
    assert _cluster_count() == 0


def test_malformed_json_is_400(app_server):
    admin = app_server.login()
    for raw in (b"{bad", b"[1, 2]", b'"text"', b"\xff\xfe"):
        response = admin.post("/clusters", data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, raw
        assert response.is_json, raw
        assert "json" in response.get_json()["errors"], raw


def test_wrong_types_name_field(app_server):
    admin = app_server.login()
    cases = [
        ("/users", {"username": "ann", "password": "ann-password", "role": 3}, "role"),
        ("/auth/tokens", {"name": "bot", "expires_in_days": "soon"}, "expires_in_days"),
        ("/auth/tokens", {"name": "bot", "expires_in_days": 100000}, "expires_in_days"),
        ("/users", {"username": "ann", "password": ["x"], "role": "viewer"}, "password"),
    ]
    for path, body, field in cases:
        response = admin.post(path, body)
        assert response.status_code == 400, (path, body)
        assert field in response.get_json()["errors"]["json"], (path, body)


def test_unknown_query_parameter_is_400(app_server):
    response = app_server.login().get("/jobs?limt=5")
    assert response.status_code == 400
    assert "limt" in response.get_json()["message"]


def test_huge_id_is_404(app_server):
    admin = app_server.login()
    for path in ("/users/99999999999999999999", "/jobs/9223372036854775808", "/auth/tokens/4294967296"):
        method = "DELETE" if "tokens" in path else "GET"
        response = admin.request(method, path)
        assert response.status_code == 404, path
        assert response.is_json
