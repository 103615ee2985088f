"""Connecting to the configured database and applying the numbered migrations."""

import os

from playhouse.db_url import connect as connect_url
from playhouse.migrations import Runner

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def connect(url):
    """A Peewee database for a URL; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return connect_url(url, pragmas=SQLITE_PRAGMAS)
    return connect_url(url)


def migrate(database):
    """Apply every pending migration; returns the names applied."""
    return Runner(database, MIGRATIONS_DIR).up()
