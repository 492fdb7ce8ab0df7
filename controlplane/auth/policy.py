"""Roles and the access policy every API route declares.

Roles rank viewer < operator < admin: a route that needs "operator" admits operators and
admins. A route without a declared policy is rejected at application start, so no route can
be added without deciding who may call it.
"""

from __future__ import annotations

from collections.abc import Callable

ROLES = ("viewer", "operator", "admin")
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}
PUBLIC = "public"
AUTHENTICATED = "authenticated"  # any signed-in user, whatever the role

POLICY_ATTRIBUTE = "_stackyard_policy"


def requires(role: str) -> Callable:
    """Declare the least role a view method needs: public, authenticated, viewer, operator or admin."""
    if role not in ROLES and role not in (PUBLIC, AUTHENTICATED):
        raise ValueError(f"unknown role {role!r}")

    def mark(view: Callable) -> Callable:
        setattr(view, POLICY_ATTRIBUTE, role)
        return view

    return mark


def policy_of(view_function: Callable, method: str) -> str | None:
    """Return the policy of ``view_function`` for an HTTP method, or None when none is declared."""
    view_class = getattr(view_function, "view_class", None)
    if view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        return getattr(handler, POLICY_ATTRIBUTE, None) if handler else None
    return getattr(view_function, POLICY_ATTRIBUTE, None)


def role_allows(user_role: str, required: str) -> bool:
    if required in (PUBLIC, AUTHENTICATED):
        return True
    return ROLE_RANK.get(user_role, 0) >= ROLE_RANK[required]
