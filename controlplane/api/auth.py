"""Login, logout, the current user, own password and own API tokens."""

from __future__ import annotations

import functools
import logging
import secrets
from datetime import timedelta

from flask import g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from controlplane.api.schemas import (
    ApiTokenCreateSchema,
    ApiTokenSchema,
    LoginSchema,
    PasswordChangeSchema,
    TokenSchema,
    UserSchema,
)
from controlplane.auth.policy import AUTHENTICATED, PUBLIC, requires
from controlplane.auth.sessions import issue_token, revoke_user_tokens
from controlplane.auth.throttle import check_login_allowed, clear_login_failures, record_login_failure
from controlplane.context import server_context
from controlplane.errors import BadRequestError, NotFoundError, UnauthorizedError
from controlplane.models import ApiToken, User, utcnow
from controlplane.secrets_store import hash_password, verify_password

logger = logging.getLogger(__name__)

URL_PREFIX = "/auth"
blp = Blueprint("auth", __name__, description="Log in and manage your own password and API tokens")


@functools.cache
def _unknown_user_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


@blp.route("/login")
class Login(MethodView):
    @requires(PUBLIC)
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Wrong username or password")
    @blp.alt_response(429, description="Too many failed logins")
    def post(self, body):
        """Log in and receive a bearer token."""
        username = body["username"]
        address = request.remote_addr or ""
        g.login_username = username
        context = server_context()
        check_login_allowed(username, address, context.config)

        user = User.get_or_none(User.username == username)
        # An unknown user costs one hash check too, so the response time does not reveal which usernames exist.
        password_hash = user.password_hash if user is not None else _unknown_user_hash()
        password_ok = verify_password(password_hash, body["password"])
        if user is None or user.disabled or not password_ok:
            record_login_failure(username, address)
            raise UnauthorizedError("wrong username or password, or the user is disabled")

        clear_login_failures(username)
        issued = issue_token(context.keys, user, "session", lifetime_seconds=context.config.session_lifetime)
        logger.info("user %s logged in from %s", username, address)
        return {
            "token": issued.token,
            "token_type": "Bearer",
            "expires_at": issued.record.expires_at,
            "username": user.username,
            "role": user.role,
        }


@blp.route("/logout")
class Logout(MethodView):
    @requires(AUTHENTICATED)
    @blp.response(204)
    def post(self):
        """Revoke the token this request was sent with."""
        ApiToken.update(revoked=True).where(ApiToken.id == g.token.id).execute()


@blp.route("/me")
class Me(MethodView):
    @requires(AUTHENTICATED)
    @blp.response(200, UserSchema)
    def get(self):
        """Return the signed-in user."""
        return g.user


@blp.route("/password")
class Password(MethodView):
    @requires(AUTHENTICATED)
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    def post(self, body):
        """Change your own password; every other token of yours is revoked."""
        user = g.user
        if not verify_password(user.password_hash, body["current_password"]):
            raise BadRequestError("current_password is wrong", field="current_password")
        user.password_hash = hash_password(body["new_password"])
        user.password_changed_at = utcnow()
        user.save()
        revoke_user_tokens(user, keep=g.token)


@blp.route("/tokens")
class Tokens(MethodView):
    @requires(AUTHENTICATED)
    @blp.response(200, ApiTokenSchema(many=True))
    def get(self):
        """List your named API tokens (without their values)."""
        return list(ApiToken.select().where((ApiToken.user == g.user) & (ApiToken.kind == "api")).order_by(ApiToken.id))

    @requires(AUTHENTICATED)
    @blp.arguments(ApiTokenCreateSchema)
    @blp.response(201, ApiTokenSchema)
    def post(self, body):
        """Create a named API token for automation; its value is shown only in this response."""
        days = body.get("expires_in_days")
        issued = issue_token(server_context().keys, g.user, "api", name=body["name"], lifetime_seconds=int(timedelta(days=days).total_seconds()) if days else None)
        record = issued.record
        return {
            "id": record.id,
            "name": record.name,
            "created_at": record.created_at,
            "expires_at": record.expires_at,
            "last_used_at": None,
            "revoked": False,
            "token": issued.token,
        }


@blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @requires(AUTHENTICATED)
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your API tokens."""
        record = ApiToken.get_or_none((ApiToken.id == token_id) & (ApiToken.user == g.user) & (ApiToken.kind == "api"))
        if record is None:
            raise NotFoundError(f"API token {token_id} not found among your tokens")
        record.revoked = True
        record.save()
