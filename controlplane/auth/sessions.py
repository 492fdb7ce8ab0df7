"""Bearer tokens: login sessions and named API tokens, stored only as keyed hashes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from controlplane.models import ApiToken, User, utcnow
from controlplane.secrets_store import KeyStore, new_token

logger = logging.getLogger(__name__)


@dataclass
class IssuedToken:
    token: str
    record: ApiToken


def issue_token(keys: KeyStore, user: User, kind: str, name: str = "", lifetime_seconds: int | None = None) -> IssuedToken:
    token = new_token()
    expires_at = utcnow() + timedelta(seconds=lifetime_seconds) if lifetime_seconds else None
    record = ApiToken.create(user=user, kind=kind, name=name, token_hash=keys.hash_token(token), expires_at=expires_at)
    return IssuedToken(token=token, record=record)


def resolve_token(keys: KeyStore, token: str) -> tuple[User, ApiToken] | None:
    """Return the user and token record for a valid bearer token, or None."""
    record = ApiToken.get_or_none(ApiToken.token_hash == keys.hash_token(token))
    if record is None or record.revoked:
        return None
    if record.expires_at is not None and record.expires_at <= utcnow():
        return None
    user = record.user
    if user.disabled:
        return None
    return user, record


def revoke_user_tokens(user: User, keep: ApiToken | None = None) -> int:
    """Revoke every token of ``user`` except ``keep``; return how many were revoked."""
    query = ApiToken.update(revoked=True).where((ApiToken.user == user) & (ApiToken.revoked == False))  # noqa: E712
    if keep is not None:
        query = query.where(ApiToken.id != keep.id)
    count = query.execute()
    logger.info("revoked %d tokens of user %s", count, user.username)
    return count
