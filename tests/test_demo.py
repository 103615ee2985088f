"""Demo data: seeded once however often the command runs, never in production, realistic values."""

import datetime
import os
from pathlib import Path

import phonenumbers
import pytest
from peewee import PostgresqlDatabase
from stdnum.cn import ric

from tests.conftest import log_in, post_form
from tests.test_config import production_settings
from webapp import create_app, database, demo, identifiers
from webapp.extensions import db
from webapp.models import Account, Customer

pytestmark = pytest.mark.database

README = Path(__file__).resolve().parent.parent / "README.md"


def _empty_database(tmp_path):
    """A database with no tables: SQLite, or TEST_DATABASE_URL's database emptied."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'demo.db'}"
    conn = database.connect(url)
    if isinstance(conn, PostgresqlDatabase):
        conn.execute_sql("DROP SCHEMA public CASCADE")
        conn.execute_sql("CREATE SCHEMA public")
    return conn


def _counts(conn):
    """Rows per table, the migration history left out."""
    return {
        table: conn.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
        for table in conn.get_tables()
        if table != "schema_migration"
    }


@pytest.fixture
def empty_app(tmp_path):
    """The app on a migrated database with no demo data yet."""
    app = create_app({"TESTING": True, "DATABASE": _empty_database(tmp_path)})
    with app.app_context():
        database.migrate(db.database)
        db.database.close()
    yield app
    if not db.database.is_closed():
        db.database.close()


def test_seed_demo_creates_the_personas_once(empty_app):
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert f"{len(demo.PERSONAS)} new customers" in first.output
    with empty_app.app_context():
        after_first = _counts(db.database)
    assert after_first["customer"] == len(demo.PERSONAS)

    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert "0 new customers" in second.output
    with empty_app.app_context():
        assert _counts(db.database) == after_first


def test_seed_demo_on_an_already_seeded_database_changes_nothing(app, db_conn):
    before = _counts(db_conn)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert _counts(db_conn) == before


def test_seed_demo_is_refused_in_production(tmp_path):
    app = create_app({**production_settings(), "DATABASE": _empty_database(tmp_path)})
    with app.app_context():
        database.migrate(db.database)
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        assert result.exit_code != 0
        assert "never seeded in production" in result.output
        with app.app_context():
            assert set(_counts(db.database).values()) == {0}
    finally:
        db.database.close()


def test_every_persona_has_a_valid_resident_id_number(db_conn):
    customers = list(Customer.select())
    assert len(customers) == len(demo.PERSONAS)
    for customer in customers:
        number = customer.id_number
        assert ric.is_valid(number), f"{customer.username}: {number}"
        assert ric.get_birth_place(number), f"{customer.username}: no such region"
        assert datetime.date(1900, 1, 1) <= ric.get_birth_date(number) <= datetime.date.today()
        assert identifiers.resident_id(number) == number, "the binding form would refuse it"
    assert len({c.id_number for c in customers}) == len(customers)


def test_every_reserved_mobile_is_a_valid_cn_mobile_in_e164(db_conn):
    mobiles = [a.reserved_mobile for a in Account.select() if a.reserved_mobile]
    assert mobiles
    for value in mobiles:
        number = phonenumbers.parse(value, None)
        assert value == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert number.country_code == 86
        assert phonenumbers.is_valid_number(number), value
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE, value


def test_every_persona_can_log_in_with_the_documented_password(app):
    client = app.test_client()

    for username, *_rest in demo.PERSONAS:
        assert log_in(client, username=username).status_code == 303, username
        post_form(client, "/logout", {}, source="/dashboard")


def test_readme_lists_every_persona_and_the_password():
    readme = README.read_text(encoding="utf-8")
    assert f"`{demo.PASSWORD}`" in readme
    for username, name, *_rest in demo.PERSONAS:
        assert f"`{username}`" in readme and name in readme, username
