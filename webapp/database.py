"""Connecting to the configured database and applying the numbered migrations."""

import os
import time
import weakref

from peewee import PostgresqlDatabase
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.migrations import Runner
from playhouse.pool import PooledPostgresqlDatabase

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


class PostgresPool(PooledPostgresqlDatabase):
    """Peewee's PostgreSQL pool, without a round trip to lend a connection given back a moment ago.

    Peewee's pool sends `SELECT 1` before it lends any connection, to find one the server has
    dropped. That is a round trip for every request, and under load a connection comes back to
    the pool a few milliseconds before it is lent again. So a connection given back less than
    CHECKED_WITHIN seconds ago, idle and not closed, is lent without asking the server; one
    that waited longer is checked as Peewee checks it. If the server drops connections (a
    restart), a request that borrows one given back within that second fails, like one that
    was using it at that moment, and the broken connection is not pooled again.
    """

    CHECKED_WITHIN = 1.0

    def __init__(self, *args, **kwargs):
        self._given_back = weakref.WeakKeyDictionary()  # connection -> time.monotonic()
        super().__init__(*args, **kwargs)

    def _is_closed(self, conn):
        given_back = self._given_back.pop(conn, None)
        if (
            given_back is not None
            and time.monotonic() - given_back < self.CHECKED_WITHIN
            and not conn.closed
            and self._adapter.txn_status(conn) == self._adapter.txn_idle
        ):
            return False
        return super()._is_closed(conn)

    def _can_reuse(self, conn):
        reusable = super()._can_reuse(conn)
        if reusable:
            self._given_back[conn] = time.monotonic()
        return reusable


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
    if not pool:
        return connect_url(url)
    if scheme.removesuffix("+pool") in ("postgres", "postgresql"):
        settings = parse_url(url)
        return PostgresPool(settings.pop("database"), **settings, **POOL)
    return connect_url(pooled, **POOL)


# PostgreSQL advisory lock key: app servers that migrate as they start take turns.
MIGRATE_LOCK = 0x55B0_0DB0


def migrate(database):
    """Apply every pending migration; returns the names applied. On PostgreSQL, several servers
    migrating at once take turns: the later ones find nothing left to apply."""
    if not isinstance(getattr(database, "obj", database), PostgresqlDatabase):  # or its Proxy
        return Runner(database, MIGRATIONS_DIR).up()
    database.execute_sql("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
    try:
        return Runner(database, MIGRATIONS_DIR).up()
    finally:
        database.execute_sql("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


def pending_migrations(database):
    """The names of the migrations not yet applied to this database (all of them on an empty
    one)."""
    return [m.name for m in Runner(database, MIGRATIONS_DIR).status() if not m.applied and m.path]
