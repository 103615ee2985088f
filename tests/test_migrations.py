"""Migrations build exactly the schema the models declare, on SQLite and PostgreSQL; /healthz."""

import importlib
import os
import pkgutil
from concurrent.futures import ThreadPoolExecutor

import peewee
import pytest
from peewee import PostgresqlDatabase, SqliteDatabase

import webapp
from webapp import create_app, database
from webapp.extensions import db

pytestmark = pytest.mark.database

HISTORY_TABLE = "schema_migration"


def _import_every_module():
    for module in pkgutil.walk_packages(webapp.__path__, prefix="webapp."):
        importlib.import_module(module.name)


def _all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _all_subclasses(subclass)


def _models():
    """Every concrete model bound to the app's database, from every module of the app."""
    _import_every_module()
    # Migrations freeze copies of models bound to the same database; only the app's own count.
    bound = [
        m
        for m in set(_all_subclasses(peewee.Model))
        if m._meta.database is db.database and m.__module__.startswith("webapp.")
    ]
    bases = {base for model in bound for base in model.__mro__[1:]}
    models = sorted((m for m in bound if m not in bases), key=lambda m: m._meta.table_name)
    assert {"customer", "account", "audit_event"} <= {m._meta.table_name for m in models}
    return models


def _postgres_url():
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """An empty database of each kind (PostgreSQL only when TEST_DATABASE_URL points at one)."""
    if request.param == "sqlite":
        conn = database.connect(f"sqlite:///{tmp_path / 'empty.db'}")
        assert isinstance(conn, SqliteDatabase)
    else:
        url = _postgres_url()
        if url is None:
            pytest.skip("set TEST_DATABASE_URL=postgresql://... to check PostgreSQL")
        conn = database.connect(url)
        assert isinstance(conn, PostgresqlDatabase)
        conn.execute_sql("DROP SCHEMA public CASCADE")
        conn.execute_sql("CREATE SCHEMA public")
    assert conn.get_tables() == []
    yield conn
    conn.close()


def _schema(conn):
    """Table -> {column: nullable}, as the database reports it."""
    return {
        table: {column.name: column.null for column in conn.get_columns(table)}
        for table in conn.get_tables()
        if table != HISTORY_TABLE
    }


def _declared(models):
    """Table -> {column: nullable}, as the models declare it."""
    return {
        model._meta.table_name: {
            field.column_name: bool(field.null) and not field.primary_key
            for field in model._meta.sorted_fields
        }
        for model in models
    }


def test_migrations_create_the_tables_and_columns_the_models_declare(empty_database):
    applied = database.migrate(empty_database)
    assert applied, "no migration was applied to an empty database"
    actual, declared = _schema(empty_database), _declared(_models())
    assert sorted(actual) == sorted(declared), "tables differ"
    for table, columns in declared.items():
        assert sorted(actual[table]) == sorted(columns), f"columns of {table} differ"
        wrong_null = {c for c, null in columns.items() if actual[table][c] != null}
        assert not wrong_null, f"{table}: NULL allowed differently for {sorted(wrong_null)}"


def test_migrations_create_the_indexes_the_models_declare(empty_database):
    database.migrate(empty_database)
    missing = []
    for model in _models():
        table = model._meta.table_name
        indexes = {
            (tuple(index.columns), index.unique) for index in empty_database.get_indexes(table)
        }
        wanted = [
            ((field.column_name,), bool(field.unique))
            for field in model._meta.sorted_fields
            if (field.unique or field.index) and not field.primary_key
        ]
        wanted += [
            (tuple(model._meta.fields[name].column_name for name in names), bool(unique))
            for names, unique in model._meta.indexes
            if isinstance(names, tuple | list)
        ]
        missing += [
            f"{table}{columns} unique={unique}"
            for columns, unique in wanted
            if (columns, unique) not in indexes
        ]
    assert not missing, f"indexes the models declare but the migrations do not create: {missing}"


def test_migrating_twice_changes_nothing(empty_database):
    first = database.migrate(empty_database)
    schema = _schema(empty_database)
    assert database.migrate(empty_database) == []
    assert _schema(empty_database) == schema
    history = empty_database.execute_sql(f"SELECT name FROM {HISTORY_TABLE}").fetchall()  # noqa: S608
    assert sorted(name for (name,) in history) == sorted(first)


def test_every_migration_file_is_applied_in_order(empty_database):
    migration_files = sorted(
        name[:-3]
        for name in os.listdir(database.MIGRATIONS_DIR)
        if name[:4].isdigit() and name.endswith(".py")
    )
    assert migration_files
    assert database.migrate(empty_database) == migration_files


def test_health_check_answers_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_check_answers_503_until_the_database_is_migrated(tmp_path):
    empty = database.connect(f"sqlite:///{tmp_path / 'empty.db'}")
    app = create_app({"TESTING": True, "DATABASE": empty})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "not migrated"}
    with app.app_context():
        database.migrate(empty)
    assert app.test_client().get("/healthz").status_code == 200


def test_health_check_answers_503_when_the_database_is_unreachable(tmp_path):
    unreachable = SqliteDatabase(str(tmp_path / "no-such-directory" / "app.db"))
    app = create_app({"TESTING": True, "DATABASE": unreachable})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] != "ok"
    assert str(tmp_path) not in response.get_data(as_text=True)


def test_a_pooled_sqlite_connection_serves_the_next_thread_that_borrows_it(tmp_path):
    # A threaded server (`flask run`, gunicorn's gthread workers) runs each request in a thread
    # of its own, and the pool lends it whichever connection an earlier request gave back.
    pooled = database.connect(f"sqlite:///{tmp_path / 'pooled.db'}", pool=True)

    def a_request():
        pooled.connect()
        try:
            return pooled.execute_sql("SELECT 1").fetchone()
        finally:
            pooled.close()

    assert a_request() == (1,)
    with ThreadPoolExecutor(max_workers=1) as another_thread:
        assert another_thread.submit(a_request).result() == (1,)
    pooled.close_all()


@pytest.mark.parametrize(
    "command",
    [["seed-demo"], ["expire-applications"], ["verify-signatures"]],
)
def test_a_command_on_a_database_with_no_tables_says_to_migrate_first(tmp_path, command):
    app = create_app(
        {"TESTING": True, "DATABASE": database.connect(f"sqlite:///{tmp_path / 'empty.db'}")}
    )
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "The database has no tables yet: run flask migrate first." in result.output


def test_servers_migrating_at_once_take_turns(empty_database):
    if not isinstance(empty_database, PostgresqlDatabase):
        pytest.skip("SQLite is one server's file: nothing else migrates it at once")
    others = [database.connect(_postgres_url()) for _ in range(2)]
    try:
        with ThreadPoolExecutor(max_workers=2) as servers:
            applied = list(servers.map(database.migrate, others))
    finally:
        for other in others:
            other.close()
    # One applied everything; the other, waiting its turn, found nothing left.
    assert sorted(len(names) for names in applied) == [0, len(applied[0]) + len(applied[1])]
    history = empty_database.execute_sql(f"SELECT name FROM {HISTORY_TABLE}").fetchall()  # noqa: S608
    assert len(history) == len({name for (name,) in history}) == max(map(len, applied))
