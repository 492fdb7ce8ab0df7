"""The audit log records every state-changing request, and only admins read it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def test_state_changes_are_recorded(app_server):
    admin = app_server.login()
    user, operator = app_server.create_user("operator")
    before = admin.get("/audit").get_json()[0]["id"]

    assert operator.post("/clusters", {"name": "audited", "stack_name": "infra", "stack_version": "1.0"}).status_code == 201
    assert operator.patch("/clusters/audited", {"description": "changed"}).status_code == 200
    assert operator.delete("/clusters/audited").status_code == 204
    assert operator.delete("/clusters/audited").status_code == 404
    assert app_server.client().post("/clusters", {"name": "anonymous"}).status_code == 401
    app_server.client(address="192.0.2.50").post("/auth/login", {"username": "mallory", "password": "guess-password"})
    assert operator.get("/clusters").status_code == 200

    records = admin.get("/audit").get_json()
    recent = [record for record in records if record["id"] > before]
    seen = [(r["username"], r["method"], r["route"], r["target"], r["status"]) for r in reversed(recent)]
    assert seen == [
        (user["username"], "POST", "/api/v1/clusters", "/api/v1/clusters", 201),
        (user["username"], "PATCH", "/api/v1/clusters/<string:name>", "/api/v1/clusters/audited", 200),
        (user["username"], "DELETE", "/api/v1/clusters/<string:name>", "/api/v1/clusters/audited", 204),
        (user["username"], "DELETE", "/api/v1/clusters/<string:name>", "/api/v1/clusters/audited", 404),
        ("", "POST", "/api/v1/clusters", "/api/v1/clusters", 401),
        ("mallory", "POST", "/api/v1/auth/login", "/api/v1/auth/login", 401),
    ]
    assert recent[0]["address"] == "192.0.2.50"
    assert all(record["method"] != "GET" for record in records)
    for record in recent:
        assert abs(datetime.fromisoformat(record["created_at"]) - datetime.now(UTC)) < timedelta(minutes=1)


def test_audit_holds_no_password(app_server):
    admin = app_server.login()
    admin.post("/users", {"username": "erin", "password": "erin-secret-password", "role": "viewer"})
    assert "erin-secret-password" not in admin.get("/audit").get_data(as_text=True)


def test_audit_is_newest_first_and_limited(app_server):
    admin = app_server.login()
    for number in range(5):
        admin.post("/clusters", {"name": f"limit{number}", "stack_name": "infra", "stack_version": "1.0"})
    records = admin.get("/audit?limit=3").get_json()
    assert len(records) == 3
    assert [record["target"] for record in records] == ["/api/v1/clusters"] * 3
    assert records[0]["id"] > records[1]["id"] > records[2]["id"]
    assert admin.get("/audit?limit=0").status_code == 400


def test_only_admin_reads_audit(app_server):
    _, viewer = app_server.create_user("viewer")
    _, operator = app_server.create_user("operator")
    assert viewer.get("/audit").status_code == 403
    assert operator.get("/audit").status_code == 403
    assert app_server.client().get("/audit").status_code == 401
