"""Schemathesis generates requests from the live app's OpenAPI document and checks every response.

No request may end in a 5xx, and every response must match the status codes, content types
and bodies the document declares.
"""

from __future__ import annotations

import hypothesis
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.failures import FailureGroup

from controlplane.auth.sessions import issue_token
from controlplane.db import database
from controlplane.models import ApiToken, User
from controlplane.secrets_store import hash_password

# Examples per operation in each generation mode: valid requests, then invalid ones.
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}
MINIMUM_REQUESTS = 1000


def _ensure_admin_token(app_server, state: dict) -> str:
    """Return a valid admin token, restoring the admin user if a generated request changed it.

    Generated requests may create a second admin and then disable, demote or delete ``admin``,
    or reset its password (which revokes its tokens). Restoring the account keeps every
    operation in the run without the rest of the run turning into 401s.
    """
    with database.connection_context():
        user = User.get_or_none(User.username == "admin")
        if user is None:
            user = User.create(username="admin", password_hash=hash_password("test-admin-password"), role="admin")
        if user.role != "admin" or user.disabled:
            user.role, user.disabled = "admin", False
            user.save()
        token = state.get("token")
        record = ApiToken.get_or_none(ApiToken.id == state.get("token_id", 0))
        if token is None or record is None or record.revoked or record.user_id != user.id:
            issued = issue_token(app_server.context.keys, user, "session", lifetime_seconds=3600)
            state["token"], state["token_id"] = issued.token, issued.record.id
    return state["token"]


def _run_operation(app_server, operation, mode: GenerationMode, examples: int, state: dict, counted: dict) -> str | None:
    """Send up to ``examples`` generated requests to ``operation``; return the failure report or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def run(case):
        token = _ensure_admin_token(app_server, state)
        counted["requests"] += 1
        # positive_data_acceptance is off because a schema-valid request can still be wrong for
        # this server, for example a stack that is not in the catalogue, and then 400 is right.
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance])

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        # An operation without parameters or body has no invalid request to generate.
        return None
    except (AssertionError, FailureGroup) as error:
        return str(error)
    return None


def test_api_conforms_to_openapi(app_server):
    admin = app_server.login()
    admin.post("/clusters", {"name": "fuzz", "stack_name": "infra", "stack_version": "1.0"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app_server.app)
    state: dict = {}
    counted = {"requests": 0}
    failures = []

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            failure = _run_operation(app_server, operation, mode, examples, state, counted)
            if failure:
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}):\n{failure}")

    assert not failures, "\n\n".join(failures)
    assert counted["requests"] >= MINIMUM_REQUESTS, counted
