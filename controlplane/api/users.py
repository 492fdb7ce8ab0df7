"""User administration: create, change role, disable, reset password, delete."""

from __future__ import annotations

import logging

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.api.schemas import UserCreateSchema, UserSchema, UserUpdateSchema
from controlplane.auth.policy import requires
from controlplane.auth.sessions import revoke_user_tokens
from controlplane.errors import ConflictError, NotFoundError
from controlplane.models import User, utcnow
from controlplane.secrets_store import hash_password

logger = logging.getLogger(__name__)

URL_PREFIX = "/users"
blp = Blueprint("users", __name__, description="Manage users and their roles (admin only)")


def _get_user(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found")
    return user


def _check_not_last_admin(user: User) -> None:
    active_admins = User.select().where((User.role == "admin") & (User.disabled == False)).count()  # noqa: E712
    if user.role == "admin" and not user.disabled and active_admins <= 1:
        raise ConflictError(f"user {user.username!r} is the last active admin; create another admin first")


@blp.route("")
class Users(MethodView):
    @requires("admin")
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """List users."""
        return list(User.select().order_by(User.id))

    @requires("admin")
    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserSchema)
    @blp.alt_response(409, description="The username is taken")
    def post(self, body):
        """Create a user."""
        if User.get_or_none(User.username == body["username"]) is not None:
            raise ConflictError(f"username {body['username']!r} is taken; choose another", field="username")
        user = User.create(username=body["username"], password_hash=hash_password(body["password"]), role=body["role"])
        logger.info("user %s created with role %s by %s", user.username, user.role, g.user.username)
        return user


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @requires("admin")
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """Get a user."""
        return _get_user(user_id)

    @requires("admin")
    @blp.arguments(UserUpdateSchema)
    @blp.response(200, UserSchema)
    def patch(self, body, user_id):
        """Change a user's role, disable or enable them, or reset their password."""
        user = _get_user(user_id)
        demotes = ("role" in body and body["role"] != "admin") or body.get("disabled") is True
        if demotes:
            _check_not_last_admin(user)

        revoke = False
        if "role" in body:
            user.role = body["role"]
        if "disabled" in body:
            revoke = revoke or (body["disabled"] and not user.disabled)
            user.disabled = body["disabled"]
        if "password" in body:
            user.password_hash = hash_password(body["password"])
            user.password_changed_at = utcnow()
            revoke = True
        user.save()
        if revoke:
            revoke_user_tokens(user)
        return user

    @requires("admin")
    @blp.response(204)
    def delete(self, user_id):
        """Delete a user and their tokens."""
        user = _get_user(user_id)
        _check_not_last_admin(user)
        user.delete_instance(recursive=True)
