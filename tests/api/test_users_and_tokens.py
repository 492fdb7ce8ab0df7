"""Users, roles and bearer tokens as an admin and as the users themselves see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlplane.db import database
from controlplane.models import ApiToken


def _user_id(app_server, username: str) -> int:
    users = app_server.login().get("/users").get_json()
    return next(user["id"] for user in users if user["username"] == username)


def test_admin_creates_user_who_logs_in(app_server):
    admin = app_server.login()
    created = admin.post("/users", {"username": "alice", "password": "alice-password", "role": "operator"})
    assert created.status_code == 201
    assert created.get_json()["role"] == "operator"
    assert "password" not in created.get_json()
    assert "password_hash" not in created.get_json()

    alice = app_server.login("alice", "alice-password")
    me = alice.get("/auth/me").get_json()
    assert me["username"] == "alice"
    assert me["role"] == "operator"


def test_duplicate_username_is_conflict(app_server):
    admin = app_server.login()
    admin.post("/users", {"username": "bob", "password": "bob-password", "role": "viewer"})
    again = admin.post("/users", {"username": "bob", "password": "other-password", "role": "admin"})
    assert again.status_code == 409
    assert again.get_json()["field"] == "username"


def test_short_password_is_rejected(app_server):
    response = app_server.login().post("/users", {"username": "carol", "password": "short", "role": "viewer"})
    assert response.status_code == 400
    assert "password" in response.get_json()["errors"]["json"]


def test_disable_user_revokes_tokens(app_server):
    user, client = app_server.create_user("operator")
    assert client.get("/clusters").status_code == 200

    response = app_server.login().patch(f"/users/{user['id']}", {"disabled": True})
    assert response.status_code == 200
    assert response.get_json()["disabled"] is True
    assert client.get("/clusters").status_code == 401
    login = app_server.client().post("/auth/login", {"username": user["username"], "password": "user-password-1"})
    assert login.status_code == 401

    app_server.login().patch(f"/users/{user['id']}", {"disabled": False})
    assert client.get("/clusters").status_code == 401, "re-enabling a user must not revive old tokens"
    assert app_server.login(user["username"], "user-password-1").get("/clusters").status_code == 200


def test_admin_password_reset_revokes_tokens(app_server):
    user, client = app_server.create_user("viewer")
    response = app_server.login().patch(f"/users/{user['id']}", {"password": "reset-password-2"})
    assert response.status_code == 200

    assert client.get("/clusters").status_code == 401
    old = app_server.client().post("/auth/login", {"username": user["username"], "password": "user-password-1"})
    assert old.status_code == 401
    assert app_server.login(user["username"], "reset-password-2").get("/clusters").status_code == 200


def test_own_password_change_keeps_this_token(app_server):
    user, first = app_server.create_user("viewer")
    second = app_server.login(user["username"], "user-password-1")

    wrong = first.post("/auth/password", {"current_password": "not-it", "new_password": "new-password-3"})
    assert wrong.status_code == 400
    assert wrong.get_json()["field"] == "current_password"

    changed = first.post("/auth/password", {"current_password": "user-password-1", "new_password": "new-password-3"})
    assert changed.status_code == 204
    assert first.get("/auth/me").status_code == 200
    assert second.get("/auth/me").status_code == 401
    assert app_server.login(user["username"], "new-password-3").get("/auth/me").status_code == 200


def test_delete_user_removes_login(app_server):
    user, client = app_server.create_user("operator")
    assert app_server.login().delete(f"/users/{user['id']}").status_code == 204

    assert client.get("/auth/me").status_code == 401
    assert app_server.login().get(f"/users/{user['id']}").status_code == 404
    login = app_server.client().post("/auth/login", {"username": user["username"], "password": "user-password-1"})
    assert login.status_code == 401


def test_last_admin_cannot_be_removed(app_server):
    admin = app_server.login()
    admin_id = _user_id(app_server, "admin")

    for change in ({"role": "operator"}, {"role": "viewer"}, {"disabled": True}):
        response = admin.patch(f"/users/{admin_id}", change)
        assert response.status_code == 409, change
        assert "last active admin" in response.get_json()["message"]
    assert admin.delete(f"/users/{admin_id}").status_code == 409
    assert admin.get("/auth/me").get_json()["role"] == "admin"


def test_second_admin_allows_demotion(app_server):
    admin = app_server.login()
    second, second_client = app_server.create_user("admin")
    admin_id = _user_id(app_server, "admin")

    assert admin.patch(f"/users/{admin_id}", {"role": "operator"}).status_code == 200
    # Now the second admin is the last one and is protected.
    assert second_client.patch(f"/users/{second['id']}", {"disabled": True}).status_code == 409
    assert second_client.delete(f"/users/{second['id']}").status_code == 409


def test_disabled_admin_does_not_count(app_server):
    admin = app_server.login()
    second, _ = app_server.create_user("admin")
    assert admin.patch(f"/users/{second['id']}", {"disabled": True}).status_code == 200

    admin_id = _user_id(app_server, "admin")
    assert admin.patch(f"/users/{admin_id}", {"disabled": True}).status_code == 409


def test_api_token_shown_once_and_revoked(app_server):
    _, client = app_server.create_user("operator")
    created = client.post("/auth/tokens", {"name": "ci-bot", "expires_in_days": 30})
    assert created.status_code == 201
    body = created.get_json()
    value = body["token"]
    assert len(value) >= 32
    expires_at = datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=29) < expires_at - datetime.now(UTC) <= timedelta(days=30)

    listed = client.get("/auth/tokens").get_json()
    assert [item["name"] for item in listed] == ["ci-bot"]
    assert "token" not in listed[0]
    assert value not in client.get("/auth/tokens").get_data(as_text=True)

    bot = app_server.client(token=value)
    assert bot.get("/clusters").status_code == 200
    assert client.get("/auth/tokens").get_json()[0]["last_used_at"] is not None

    assert client.delete(f"/auth/tokens/{body['id']}").status_code == 204
    assert bot.get("/clusters").status_code == 401
    assert client.get("/auth/tokens").get_json()[0]["revoked"] is True


def test_token_of_other_user_cannot_be_revoked(app_server):
    _, owner = app_server.create_user("operator")
    _, other = app_server.create_user("operator")
    token = owner.post("/auth/tokens", {"name": "mine"}).get_json()

    assert other.delete(f"/auth/tokens/{token['id']}").status_code == 404
    assert app_server.client(token=token["token"]).get("/auth/me").status_code == 200


def test_token_value_is_not_stored(app_server):
    _, client = app_server.create_user("operator")
    value = client.post("/auth/tokens", {"name": "stored"}).get_json()["token"]
    with database.connection_context():
        hashes = [record.token_hash for record in ApiToken.select()]
    assert value not in hashes
    assert all(len(item) == 64 for item in hashes)


def test_login_token_expires(app_server):
    response = app_server.client().post("/auth/login", {"username": "admin", "password": "test-admin-password"})
    body = response.get_json()
    lifetime = datetime.fromisoformat(body["expires_at"]) - datetime.now(UTC)
    assert timedelta(hours=11, minutes=59) < lifetime <= timedelta(hours=12)

    client = app_server.client(token=body["token"])
    assert client.get("/auth/me").status_code == 200
    with database.connection_context():
        ApiToken.update(expires_at=datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)).where(ApiToken.kind == "session").execute()
    expired = client.get("/auth/me")
    assert expired.status_code == 401
    assert "expired" in expired.get_json()["message"]


def test_logout_revokes_token(app_server):
    client = app_server.login()
    assert client.post("/auth/logout").status_code == 204
    assert client.get("/auth/me").status_code == 401


def test_unknown_role_is_rejected(app_server):
    response = app_server.login().post("/users", {"username": "dave", "password": "dave-password", "role": "root"})
    assert response.status_code == 400
    assert "role" in response.get_json()["errors"]["json"]
