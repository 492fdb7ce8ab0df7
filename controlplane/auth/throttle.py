"""Slow down, then reject, repeated failed logins for one user or one address."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from controlplane.errors import TooManyRequestsError
from controlplane.models import LoginFailure, utcnow

logger = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
# After this many failures in the window each further attempt waits a second first.
SLOW_AFTER = 3
# After this many failures in the window logins are rejected until old failures age out.
REJECT_AFTER = 10


def _keys(username: str, address: str) -> list[str]:
    return [f"user:{username.lower()}", f"address:{address}"]


def check_login_allowed(username: str, address: str) -> None:
    """Raise TooManyRequestsError when ``username`` or ``address`` failed too often; else maybe wait."""
    since = utcnow() - WINDOW
    worst = 0
    for key in _keys(username, address):
        count = LoginFailure.select().where((LoginFailure.key == key) & (LoginFailure.created_at > since)).count()
        worst = max(worst, count)
    if worst >= REJECT_AFTER:
        logger.warning("login rejected for user %r from %s after %d failures", username, address, worst)
        raise TooManyRequestsError(
            f"too many failed logins for user {username!r} or address {address}; try again in 15 minutes",
            retry_after_seconds=int(WINDOW.total_seconds()),
        )
    if worst >= SLOW_AFTER:
        time.sleep(1.0)


def record_login_failure(username: str, address: str) -> None:
    logger.warning("failed login for user %r from %s", username, address)
    for key in _keys(username, address):
        LoginFailure.create(key=key)


def clear_login_failures(username: str) -> None:
    LoginFailure.delete().where(LoginFailure.key == f"user:{username.lower()}").execute()


def purge_old_failures() -> int:
    return LoginFailure.delete().where(LoginFailure.created_at < utcnow() - WINDOW).execute()
