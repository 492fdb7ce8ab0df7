"""Every route of the app, called as each role, returns what the access policy promises."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.views import MethodView

from controlplane.app import check_every_route_has_policy
from controlplane.auth.policy import policy_of, requires
from controlplane.auth.sessions import issue_token
from controlplane.db import database
from controlplane.models import User

# The minimum role each route needs. A route missing here fails test_policy_table_covers_every_route,
# so whoever adds a route decides here who may call it.
POLICY = {
    ("GET", "/api/v1/openapi.json"): "public",
    ("GET", "/api/v1/docs"): "public",
    ("GET", "/api/v1/health"): "public",
    ("POST", "/api/v1/auth/login"): "public",
    ("POST", "/api/v1/auth/logout"): "authenticated",
    ("GET", "/api/v1/auth/me"): "authenticated",
    ("POST", "/api/v1/auth/password"): "authenticated",
    ("GET", "/api/v1/auth/tokens"): "authenticated",
    ("POST", "/api/v1/auth/tokens"): "authenticated",
    ("DELETE", "/api/v1/auth/tokens/<int:token_id>"): "authenticated",
    ("GET", "/api/v1/users"): "admin",
    ("POST", "/api/v1/users"): "admin",
    ("GET", "/api/v1/users/<int:user_id>"): "admin",
    ("PATCH", "/api/v1/users/<int:user_id>"): "admin",
    ("DELETE", "/api/v1/users/<int:user_id>"): "admin",
    ("GET", "/api/v1/clusters"): "viewer",
    ("POST", "/api/v1/clusters"): "operator",
    ("GET", "/api/v1/clusters/<string:name>"): "viewer",
    ("PATCH", "/api/v1/clusters/<string:name>"): "operator",
    ("DELETE", "/api/v1/clusters/<string:name>"): "operator",
    ("POST", "/api/v1/clusters/<string:name>/hosts"): "operator",
    ("POST", "/api/v1/clusters/<string:name>/actions"): "operator",
    ("DELETE", "/api/v1/clusters/<string:name>/hosts/<string:hostname>"): "operator",
    ("GET", "/api/v1/clusters/<string:name>/repositories"): "viewer",
    ("PUT", "/api/v1/clusters/<string:name>/repositories"): "operator",
    ("GET", "/api/v1/clusters/<string:name>/inventory"): "viewer",
    ("GET", "/api/v1/hosts"): "viewer",
    ("GET", "/api/v1/hosts/<string:hostname>"): "viewer",
    ("DELETE", "/api/v1/hosts/<string:hostname>"): "operator",
    ("POST", "/api/v1/hosts/registration-tokens"): "operator",
    ("GET", "/api/v1/stacks"): "viewer",
    ("GET", "/api/v1/stacks/<string:name>/<string:version>"): "viewer",
    ("GET", "/api/v1/clusters/<string:cluster_name>/services"): "viewer",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services"): "operator",
    ("GET", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>"): "viewer",
    ("DELETE", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>"): "operator",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/actions"): "operator",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/components/<string:component>/actions"): "operator",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/components/<string:component>/hosts"): "operator",
    ("DELETE", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/components/<string:component>/hosts/<string:hostname>"): "operator",
    ("GET", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs"): "viewer",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs"): "operator",
    ("GET", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs/<int:number>"): "viewer",
    ("GET", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs/diff"): "viewer",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs/revert"): "operator",
    ("POST", "/api/v1/clusters/<string:cluster_name>/services/<string:service_name>/configs/apply"): "operator",
    ("GET", "/api/v1/jobs"): "viewer",
    ("GET", "/api/v1/jobs/<int:job_id>"): "viewer",
    ("POST", "/api/v1/jobs/<int:job_id>/cancel"): "operator",
    ("POST", "/api/v1/jobs/<int:job_id>/retry"): "operator",
    ("GET", "/api/v1/jobs/<int:job_id>/tasks/<int:task_id>/log"): "viewer",
    ("GET", "/api/v1/audit"): "admin",
    ("GET", "/api/v1/jobs/<int:job_id>/advice"): "viewer",
    ("GET", "/api/v1/clusters/<string:name>/advice"): "viewer",
    ("GET", "/"): "public",
    ("GET", "/static/<path:filename>"): "public",
}

RANK = {"public": 0, "authenticated": 1, "viewer": 1, "operator": 2, "admin": 3}
CALLERS = {"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule))
    return routes


def _concrete_path(rule: str) -> str:
    """Fill each URL variable with a value of its converter's type."""
    path = re.sub(r"<int:[a-z_]+>", "1", rule)
    path = re.sub(r"<path:[a-z_]+>", "vendor/vue.js", path)
    return re.sub(r"<(string:)?[a-z_]+>", "sample", path)


def test_policy_table_covers_every_route(app_server):
    routes = set(_routes(app_server.app))
    missing = sorted(routes - set(POLICY))
    assert not missing, f"routes without an entry in POLICY: {missing}"
    stale = sorted(set(POLICY) - routes)
    assert not stale, f"POLICY entries for routes that no longer exist: {stale}"


def test_declared_policies_match_table(app_server):
    app = app_server.app
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            assert policy_of(view, method) == POLICY[(method, rule.rule)], f"{method} {rule.rule}"


def _fresh_token(app_server, username: str) -> str:
    with database.connection_context():
        user = User.get(User.username == username)
        return issue_token(app_server.context.keys, user, "session", lifetime_seconds=600).token


@pytest.mark.parametrize("caller", list(CALLERS))
def test_every_route_as_role(app_server, caller):
    username = {"anonymous": None, "admin": "admin"}.get(caller)
    if caller in ("viewer", "operator"):
        user, _ = app_server.create_user(caller)
        username = user["username"]

    problems = []
    for method, rule in _routes(app_server.app):
        required = POLICY[(method, rule)]
        # A fresh token per call, because logout and a password change revoke the caller's token.
        token = _fresh_token(app_server, username) if username else None
        response = app_server.client(token=token).request(method, _concrete_path(rule), json={} if method in WRITE_METHODS else None)
        status = response.status_code
        allowed = CALLERS[caller] >= RANK[required] and not (caller == "anonymous" and required == "authenticated")

        if caller == "anonymous" and required != "public":
            expected = "401"
            ok = status == 401
        elif not allowed:
            expected = "403"
            ok = status == 403
        else:
            expected = "neither 401 nor 403"
            ok = status not in (401, 403)
        if ok and status in (401, 403):
            ok = response.is_json and "message" in response.get_json()
        if not ok:
            problems.append(f"{method} {rule}: expected {expected}, got {status} {response.get_data(as_text=True)[:200]}")
    assert not problems, "\n".join(problems)


def test_viewer_cannot_write_anything(app_server):
    _, viewer = app_server.create_user("viewer")
    for method, rule in _routes(app_server.app):
        if method in WRITE_METHODS and POLICY[(method, rule)] != "public" and POLICY[(method, rule)] != "authenticated":
            response = viewer.request(method, _concrete_path(rule), json={})
            assert response.status_code == 403, f"{method} {rule}"


def test_route_without_policy_fails_start():
    app = Flask("unguarded")

    @app.route("/api/v1/unguarded")
    def unguarded():
        return "open"

    with pytest.raises(RuntimeError, match="GET /api/v1/unguarded"):
        check_every_route_has_policy(app)


def test_method_without_policy_fails_start():
    app = Flask("half-guarded")

    class Things(MethodView):
        @requires("viewer")
        def get(self):
            return "list"

        def delete(self):
            return "gone"

    app.add_url_rule("/api/v1/things", view_func=Things.as_view("things"))
    with pytest.raises(RuntimeError) as raised:
        check_every_route_has_policy(app)
    assert "DELETE /api/v1/things" in str(raised.value)
    assert "GET /api/v1/things" not in str(raised.value)


def test_guarded_app_passes_check():
    app = Flask("guarded")

    @app.route("/api/v1/guarded")
    @requires("admin")
    def guarded():
        return "ok"

    check_every_route_has_policy(app)
