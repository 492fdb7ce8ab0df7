"""Slow down, then reject, repeated failed logins for one user or one address.

The limits come from ServerConfig: failures are counted over ``login_failure_window``
seconds. Once ``login_slow_after`` failures of one user (``login_address_slow_after`` of one
address) are in the window, each further attempt first waits ``login_delay`` seconds. At
``login_reject_after`` failures of the user (``login_address_reject_after`` of the address)
logins are rejected with 429 until old failures leave the window. A correct password is rejected too while the
limit holds, so a guesser learns nothing from the response.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from controlplane.config import ServerConfig
from controlplane.errors import TooManyRequestsError
from controlplane.models import LoginFailure, utcnow

logger = logging.getLogger(__name__)


def _user_key(username: str) -> str:
    return f"user:{username.lower()}"


def _address_key(address: str) -> str:
    return f"address:{address}"


def _failures(key: str, since) -> int:
    return LoginFailure.select().where((LoginFailure.key == key) & (LoginFailure.created_at > since)).count()


def check_login_allowed(username: str, address: str, config: ServerConfig) -> None:
    """Raise TooManyRequestsError when ``username`` or ``address`` failed too often; else maybe wait."""
    window = timedelta(seconds=config.login_failure_window)
    since = utcnow() - window
    user_failures = _failures(_user_key(username), since)
    address_failures = _failures(_address_key(address), since)

    if user_failures >= config.login_reject_after or address_failures >= config.login_address_reject_after:
        logger.warning("login rejected for user %r from %s after %d user and %d address failures", username, address, user_failures, address_failures)
        raise TooManyRequestsError(
            f"too many failed logins for user {username!r} or address {address}; try again in {_minutes(window)} minutes",
            retry_after_seconds=config.login_failure_window,
        )
    if user_failures >= config.login_slow_after or address_failures >= config.login_address_slow_after:
        time.sleep(config.login_delay)


def _minutes(window: timedelta) -> int:
    return max(1, round(window.total_seconds() / 60))


def record_login_failure(username: str, address: str) -> None:
    logger.warning("failed login for user %r from %s", username, address)
    LoginFailure.create(key=_user_key(username))
    LoginFailure.create(key=_address_key(address))


def clear_login_failures(username: str) -> None:
    LoginFailure.delete().where(LoginFailure.key == _user_key(username)).execute()


def purge_old_failures(window_seconds: int) -> int:
    return LoginFailure.delete().where(LoginFailure.created_at < utcnow() - timedelta(seconds=window_seconds)).execute()
