"""Fixtures: the app on a fresh database, a client, a logged-in customer, a frozen clock.

Set TEST_DATABASE_URL=postgresql://... to run the same tests against PostgreSQL.
"""

import os
import re
import shutil

import pytest
from peewee import PostgresqlDatabase

from tests.fakes.twilio_api import fake_twilio  # noqa: F401 (a fixture for every test)
from webapp import clock, create_app, database, demo
from webapp.extensions import db

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


TEST_SETTINGS = {"TESTING": True, "LOGIN_RATE_LIMIT": "1000 per minute"}


def _migrated_and_seeded(conn):
    app = create_app({**TEST_SETTINGS, "DATABASE": conn})
    with app.app_context():
        database.migrate(db.database)
        demo.seed()
        db.database.close()
    return app


@pytest.fixture(scope="session")
def seeded_sqlite_file(tmp_path_factory):
    """A migrated, seeded SQLite file built once; each test gets its own copy."""
    path = tmp_path_factory.mktemp("template") / "seeded.db"
    _migrated_and_seeded(database.connect(f"sqlite:///{path}"))
    return path


@pytest.fixture
def app(tmp_path, seeded_sqlite_file):
    """The app on its own freshly migrated database with the demo personas."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        conn = database.connect(url)
        if isinstance(conn, PostgresqlDatabase):
            conn.execute_sql("DROP SCHEMA public CASCADE")
            conn.execute_sql("CREATE SCHEMA public")
        app = _migrated_and_seeded(conn)
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(seeded_sqlite_file, path)
        app = create_app({**TEST_SETTINGS, "DATABASE": database.connect(f"sqlite:///{path}")})
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
    """The app's database, for direct assertions on rows.

    No app context is pushed: one would share `g` (and its cached CSRF token) across the test
    client's requests.
    """
    yield db.database
    if not db.database.is_closed():
        db.database.close()
