"""The peewee database the models are bound to, opened once per server process."""

from __future__ import annotations

import logging

from peewee import DatabaseProxy, SqliteDatabase
from playhouse.db_url import connect

logger = logging.getLogger(__name__)

database = DatabaseProxy()


class ImmediateSqliteDatabase(SqliteDatabase):
    """SQLite whose write transactions take the write lock at BEGIN.

    A deferred transaction that reads first and writes later fails at once with
    "database is locked" when another connection wrote in between; BEGIN IMMEDIATE waits
    for the busy timeout instead.
    """

    def begin(self, lock_type: str | None = None) -> None:
        super().begin(lock_type or "IMMEDIATE")


SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 30000,
    "synchronous": "normal",
}


def open_database(url: str):
    """Connect the models to the database at ``url`` and create missing tables."""
    from controlplane import models

    if url.startswith("sqlite:///"):
        db = ImmediateSqliteDatabase(url[len("sqlite:///"):], pragmas=SQLITE_PRAGMAS, check_same_thread=False)
    else:
        db = connect(url)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    db.create_tables(models.ALL_MODELS, safe=True)
    logger.info("database ready at %s", _describe(url))
    return db


def _describe(url: str) -> str:
    """Return the URL without its password, for logs."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
