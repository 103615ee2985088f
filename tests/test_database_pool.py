"""The app's PostgreSQL connection pool: how it lends connections, and what it does with dropped
ones (webapp.database.PostgresPool). Needs TEST_DATABASE_URL=postgresql://..."""

import os

import peewee
import psycopg2
import pytest

from webapp import database

pytestmark = pytest.mark.database


@pytest.fixture
def pool(request):
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("set TEST_DATABASE_URL=postgresql://... to check PostgreSQL")
    request.getfixturevalue("app")  # creates the test database
    pooled = database.connect(url, pool=True)
    assert isinstance(pooled, database.PostgresPool)
    yield pooled
    pooled.close_all()


@pytest.fixture
def server_checks(pool, monkeypatch):
    """The connections the pool asked the server about before lending them."""
    asked = []
    check = pool._adapter.is_connection_closed

    def asking(conn):
        asked.append(conn)
        return check(conn)

    monkeypatch.setattr(pool._adapter, "is_connection_closed", asking)
    return asked


def _backend(pool):
    return pool.execute_sql("SELECT pg_backend_pid()").fetchone()[0]


def _drop(backend):
    """Have the server end a session, as a restart or an administrator would."""
    admin = psycopg2.connect(os.environ["TEST_DATABASE_URL"])
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", (backend,))
    admin.close()


def test_a_connection_given_back_a_moment_ago_is_lent_again_without_asking_the_server(
    pool, server_checks
):
    pool.connect()
    first = _backend(pool)
    pool.close()
    pool.connect()
    assert _backend(pool) == first
    assert server_checks == []
    pool.close()


def test_a_connection_that_waited_longer_is_checked_and_a_dropped_one_replaced(
    pool, server_checks, monkeypatch
):
    pool.connect()
    dropped = _backend(pool)
    pool.close()
    _drop(dropped)
    monkeypatch.setattr(database.PostgresPool, "CHECKED_WITHIN", 0.0)
    pool.connect()
    assert _backend(pool) != dropped
    assert len(server_checks) == 1
    pool.close()


def test_a_connection_dropped_just_after_it_came_back_fails_once_and_is_not_lent_again(pool):
    pool.connect()
    dropped = _backend(pool)
    pool.close()
    _drop(dropped)
    pool.connect()
    with pytest.raises((peewee.OperationalError, peewee.InterfaceError)):
        _backend(pool)
    pool.close()
    pool.connect()
    assert _backend(pool) != dropped
    pool.close()
