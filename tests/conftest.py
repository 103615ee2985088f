"""Fixtures: the app on a fresh database, a client, a logged-in customer, a frozen clock.

Set TEST_DATABASE_URL=postgresql://... to run the same tests against PostgreSQL.
"""

import os
import re

import pytest
from peewee import PostgresqlDatabase

from webapp import clock, create_app, database, demo
from webapp.extensions import db

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _fresh_database(tmp_path):
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return database.connect(f"sqlite:///{tmp_path / 'test.db'}")
    conn = database.connect(url)
    if isinstance(conn, PostgresqlDatabase):
        conn.execute_sql("DROP SCHEMA public CASCADE")
        conn.execute_sql("CREATE SCHEMA public")
    return conn


@pytest.fixture
def app(tmp_path):
    """The app on its own freshly migrated database with the demo personas."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE": _fresh_database(tmp_path),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        database.migrate(db.database)
        demo.seed()
        db.database.close()
    yield app
    if not db.database.is_closed():
        db.database.close()


@pytest.fixture
def frozen(app):
    """A clock that stands still until the test moves it."""
    frozen_clock = clock.FrozenClock()
    previous = clock.use(frozen_clock)
    yield frozen_clock
    clock.use(previous)


@pytest.fixture
def client(app):
    """A browser-like client that prefers English (tests of Chinese ask for it)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


def csrf_token(client, path):
    """The CSRF token from the form on a page."""
    response = client.get(path)
    match = CSRF.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client, path, data, source=None, **kwargs):
    """POST a form the way a browser would: with the token from the page that shows it."""
    token = csrf_token(client, source or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def log_in(client, username="zhang.wei", password=demo.PASSWORD):
    """Log in through the real login form."""
    return post_form(client, "/login", {"username": username, "password": password})


@pytest.fixture
def customer(client):
    """A client logged in as the happy-path demo customer (zhang.wei)."""
    response = log_in(client)
    assert response.status_code == 303
    return client


@pytest.fixture
def db_conn(app):
    """The app's database, connected, for direct assertions on rows."""
    with app.app_context():
        yield db.database
