"""Fixtures: the app on a fresh database, a client, a logged-in customer, a frozen clock.

Set TEST_DATABASE_URL=postgresql://... to run the same tests against PostgreSQL.
"""

import os
import re
import shutil
from urllib.parse import urlsplit

import pytest

from tests.fakes.twilio_api import fake_twilio  # noqa: F401 (a fixture for every test)
from webapp import clock, create_app, database, demo
from webapp.extensions import db

# Tests build development apps unless a test names production in its own settings.
os.environ["APP_ENV"] = "development"

CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


# The tests see pages as production serves them: with their layout and fixed parts kept.
TEST_SETTINGS = {"TESTING": True, "LOGIN_RATE_LIMIT": "1000 per minute", "KEEP_RENDERED": True}


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


def _server_admin(url):
    """A connection to the server's maintenance database, to create and drop databases."""
    return database.connect(urlsplit(url)._replace(path="/postgres").geturl())


def _with_database(url, name):
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@pytest.fixture(scope="session")
def seeded_postgres_template():
    """With TEST_DATABASE_URL: a migrated, seeded template database, built once per session.

    Each test's database is created from it, which is far quicker than migrating and seeding
    again; the name of the test database is the one in TEST_DATABASE_URL.
    """
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return None
    name = urlsplit(url).path.lstrip("/")
    template = f"{name}_template"
    admin = _server_admin(url)
    admin.execute_sql(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    admin.execute_sql(f'CREATE DATABASE "{template}"')
    conn = database.connect(_with_database(url, template))
    _migrated_and_seeded(conn)
    conn.close()
    return admin, name, template


@pytest.fixture
def app(tmp_path, seeded_sqlite_file, seeded_postgres_template):
    """The app on its own freshly migrated database with the demo personas."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        admin, name, template = seeded_postgres_template
        admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        app = create_app({**TEST_SETTINGS, "DATABASE": database.connect(url)})
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
