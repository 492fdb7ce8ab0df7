"""Flask application factory: the REST API under /api/v1, its OpenAPI document and the web UI."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, g, jsonify, request, send_from_directory
from flask_smorest import Api
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from controlplane.api.schemas import ErrorSchema
from controlplane.auth.policy import AUTHENTICATED, PUBLIC, policy_of, role_allows
from controlplane.auth.sessions import resolve_token
from controlplane.context import ServerContext
from controlplane.db import database
from controlplane.errors import ApiError, ForbiddenError, UnauthorizedError
from controlplane.models import ApiToken, AuditRecord, utcnow

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
API_PREFIX = "/api/v1"
MAX_DATABASE_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """An ``<int:...>`` URL part that fits a database id, so a larger number is 404, not a database overflow.

    PostgreSQL's ``serial`` ids are 32-bit, the smaller of the databases the server supports.
    """

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", MAX_DATABASE_ID)
        super().__init__(map, *args, **kwargs)


class StackyardApi(Api):
    # Document the error body the handlers below return (it has "field" and "details" too),
    # in place of flask-smorest's own schema, which forbids those fields.
    ERROR_SCHEMA = ErrorSchema


def create_app(context: ServerContext) -> Flask:
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.update(
        API_TITLE="Stackyard",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/static/vendor/swagger-ui/",
        MAX_CONTENT_LENGTH=context.config.max_body_bytes,
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
            "info": {"description": "Deploy and operate big-data services on clusters of hosts."},
        },
    )
    app.extensions["stackyard"] = context
    api = StackyardApi(app)
    _register_blueprints(api)
    _register_database_hooks(app)
    _register_access_control(app)
    _register_error_handlers(app)
    _register_ui(app)
    check_every_route_has_policy(app)
    return app


def _register_blueprints(api: Api) -> None:
    from controlplane.api import assistant, audit, auth, clusters, configs, health, hosts, jobs, services, stacks, users

    for module in (health, auth, users, clusters, hosts, stacks, services, configs, jobs, audit, assistant):
        api.register_blueprint(module.blp, url_prefix=API_PREFIX + module.URL_PREFIX)


def _register_database_hooks(app: Flask) -> None:
    @app.before_request
    def open_connection() -> None:
        database.connect(reuse_if_open=True)

    @app.teardown_request
    def close_connection(_error) -> None:
        if not database.is_closed():
            database.close()


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    # EventSource in browsers cannot set headers, so log streams also accept ?access_token=.
    if request.path.endswith("/log"):
        return request.args.get("access_token") or None
    return None


def _register_access_control(app: Flask) -> None:
    @app.before_request
    def authenticate() -> None:
        g.user = None
        g.token = None
        if not request.path.startswith(API_PREFIX):
            return
        view = app.view_functions.get(request.endpoint) if request.endpoint else None
        if view is None:
            return
        required = policy_of(view, request.method)
        if required is None and request.method == "OPTIONS":
            return
        if required == PUBLIC or request.endpoint.startswith("api-docs."):
            return

        token = _bearer_token()
        resolved = resolve_token(server_keys(app), token) if token else None
        if resolved is None:
            raise UnauthorizedError("missing, invalid or expired token: log in with POST /api/v1/auth/login and send 'Authorization: Bearer <token>'")
        g.user, g.token = resolved
        ApiToken.update(last_used_at=utcnow()).where(ApiToken.id == g.token.id).execute()
        if required not in (None, AUTHENTICATED) and not role_allows(g.user.role, required):
            raise ForbiddenError(f"role {g.user.role!r} may not do this; it needs role {required!r} or higher")

    @app.after_request
    def audit(response):
        if request.path.startswith(API_PREFIX) and request.method in ("POST", "PUT", "PATCH", "DELETE"):
            user = getattr(g, "user", None)
            username = user.username if user is not None else g.get("login_username", "")
            try:
                AuditRecord.create(
                    username=username,
                    address=request.remote_addr or "",
                    method=request.method,
                    route=str(request.url_rule) if request.url_rule else request.path[:255],
                    target=request.path[:255],
                    status=response.status_code,
                )
            except Exception:  # noqa: BLE001 - an audit failure must not turn a done change into an error
                logger.exception("failed to write audit record for %s %s", request.method, request.path)
        return response


def server_keys(app: Flask):
    return app.extensions["stackyard"].keys


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(error: ApiError):
        response = jsonify(error.to_dict())
        response.status_code = error.status
        retry_after = error.details.get("retry_after_seconds")
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        body = {"code": error.code, "status": error.name, "message": error.description}
        messages = getattr(error, "data", {}).get("messages") if hasattr(error, "data") else None
        if messages:
            body["errors"] = messages
            body["message"] = _describe_validation(messages)
        status = error.code or 500
        # flask-smorest reports schema validation failures as 422; they are bad requests.
        if status == 422:
            status = 400
            body["code"] = 400
            body["status"] = "Bad Request"
        response = jsonify(body)
        response.status_code = status
        if status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(RecursionError)
    def handle_deep_nesting(error: RecursionError):
        # Python's JSON parser and marshmallow recurse once per nesting level of the body.
        logger.warning("rejected %s %s: body nested too deeply", request.method, request.path)
        body = {"code": 400, "status": "Bad Request", "message": "the request body is nested too deeply; send a flat JSON document as the API documents it"}
        return jsonify(body), 400

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        logger.exception("unexpected error on %s %s", request.method, request.path)
        return jsonify({"code": 500, "status": "Internal Server Error", "message": "internal error; see the server log"}), 500


def _describe_validation(messages: dict) -> str:
    """Turn marshmallow's nested error messages into one sentence naming each field."""
    parts = []
    for location, fields in messages.items():
        if isinstance(fields, dict):
            for name, problems in fields.items():
                parts.append(f"{name}: {_flatten(problems)}")
        else:
            parts.append(f"{location}: {_flatten(fields)}")
    return "invalid request: " + "; ".join(parts)


def _flatten(problems) -> str:
    if isinstance(problems, dict):
        return ", ".join(f"{key}: {_flatten(value)}" for key, value in problems.items())
    if isinstance(problems, list):
        return " ".join(str(item) for item in problems)
    return str(problems)


def _register_ui(app: Flask) -> None:
    @app.route("/")
    def index():
        return send_from_directory(STATIC_DIR, "index.html")

    @app.route("/static/<path:filename>")
    def static_files(filename: str):
        return send_from_directory(STATIC_DIR, filename)

    for view in (index, static_files):
        view._stackyard_policy = PUBLIC


def check_every_route_has_policy(app: Flask) -> None:
    """Raise RuntimeError when an API route declares no access policy."""
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if policy_of(view, method) is None and not rule.endpoint.startswith("api-docs."):
                missing.append(f"{method} {rule.rule}")
    if missing:
        raise RuntimeError("API routes without an access policy: " + ", ".join(missing))
