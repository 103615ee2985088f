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
# The app's requests borrow a connection and give it back, so none pays for a new one: a
# PostgreSQL connection costs a server process, and closing SQLite's last connection
# checkpoints and deletes its WAL, which the next request then creates again. A connection is
# replaced once it is stale_timeout seconds old (Peewee counts from its opening), so a
# restarted database is reconnected to.
POOL = {"max_connections": 20, "stale_timeout": 300}


def connect(url, pool=False):
    """A Peewee database for a URL; SQLite gets WAL, foreign keys and a busy timeout.

    pool=True (the app) keeps connections open between requests. Tools that copy or drop the
    database file right after closing it (tests, scripts) take the default, a plain connection.
    """
    scheme, sep, rest = url.partition("://")
    pooled = (scheme if scheme.endswith("+pool") else scheme + "+pool") + sep + rest
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        # An in-memory database lives and dies with its one connection: never pool it. A pooled
        # connection serves whichever thread borrows it next (threaded servers: `flask run`,
        # gunicorn's gthread workers), one thread at a time: sqlite3 must not refuse that.
        if pool and path != ":memory:":
            return connect_url(pooled, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **POOL)
        return connect_url(url, pragmas=SQLITE_PRAGMAS)
    return connect_url(pooled, **POOL) if pool else connect_url(url)


def migrate(database):
    """Apply every pending migration; returns the names applied."""
    return Runner(database, MIGRATIONS_DIR).up()
