"""Prepared queries answer exactly as the Peewee queries they were compiled from."""

import pytest
from peewee import SqliteDatabase

from webapp.models import Account, Application, Binding, Customer
from webapp.models import binding as binding_models
from webapp.prepared import Prepared
from webapp.registry.local import RegistryCard

pytestmark = pytest.mark.database


def _customer(username):
    return Customer.get(Customer.username == username)


def test_each_call_runs_with_its_own_arguments(db_conn):
    by_username = Prepared(lambda name: Customer.select().where(Customer.username == name))
    assert by_username.first("liu.yang").id == _customer("liu.yang").id
    assert by_username.first("zhang.wei").id == _customer("zhang.wei").id
    assert by_username.first("nobody") is None
    assert by_username.all("nobody") == []


def test_rows_come_back_as_models_with_decrypted_fields(db_conn):
    liu = _customer("liu.yang")
    by_id = Prepared(lambda id_: Customer.select().where(Customer.id == id_))
    found = by_id.first(liu.id)
    assert isinstance(found, Customer)
    assert (found.name, found.id_number, found.session_token) == (
        liu.name,
        liu.id_number,
        liu.session_token,
    )


def test_joined_rows_carry_the_joined_model(db_conn):
    liu = _customer("liu.yang")
    active = Binding.active_for(liu)
    expected = (
        Binding.select(Binding, Account)
        .join(Account)
        .where(Binding.customer == liu, Binding.status == Binding.ACTIVE)
        .get()
    )
    assert active.id == expected.id
    assert active.account.number == expected.account.number
    assert active.card_number == expected.card_number
    assert Binding.active_for(_customer("zhang.wei")) is None
    again = Binding.active_for(liu.id)  # the column layout of the first answer is reused
    assert (again.id, again.account.id, again.account.number) == (
        expected.id,
        expected.account.id,
        expected.account.number,
    )


def test_model_arguments_and_ids_find_the_same_rows(db_conn):
    liu = _customer("liu.yang")
    assert [a.id for a in Account.listed_for(liu)] == [a.id for a in Account.of(liu)]
    assert [a.id for a in Account.listed_for(liu.id)] == [a.id for a in Account.of(liu)]
    assert len(Account.listed_for(liu)) == 2


def test_an_application_is_found_only_for_its_own_customer(db_conn):
    zhang = _customer("zhang.wei")
    application = Application.create(customer=zhang, status="draft")
    assert Application.owned(zhang, application.reference).id == application.id
    assert Application.owned(_customer("liu.yang"), application.reference) is None
    assert Application.open_for(zhang.id).id == application.id


def test_field_conversions_are_the_callers(db_conn):
    # A blind index is compared as stored: the caller converts the plain value first.
    card = RegistryCard.select().first()
    by_number = Prepared(
        lambda index: RegistryCard.select().where(RegistryCard.number_index == index)
    )
    assert by_number.first(RegistryCard.number_index.db_value(card.number)).id == card.id
    assert by_number.first(card.number) is None


def test_a_call_with_the_wrong_number_of_arguments_is_refused(db_conn):
    by_id = Prepared(lambda id_: Customer.select().where(Customer.id == id_))
    with pytest.raises(TypeError):
        by_id.first()


def test_the_binding_shown_on_the_dashboard_carries_what_the_tile_shows(db_conn):
    liu = _customer("liu.yang")
    shown, full = Binding.shown_for(liu), Binding.active_for(liu)
    assert (shown.id, shown.masked_card, shown.bound_at) == (
        full.id,
        full.masked_card,
        full.bound_at,
    )
    assert shown.account.masked_number == full.account.masked_number
    assert shown.account.reserved_mobile is None  # not read: the tile never shows it
    assert Binding.shown_for(_customer("zhang.wei")) is None


def test_fixed_words_are_written_into_the_sql_and_other_values_passed(db_conn):
    liu = _customer("liu.yang")
    Customer.update(name="O'Brien").where(Customer.id == liu.id).execute()
    named = Prepared(
        lambda id_: (
            Customer.select()
            .where(Customer.id == id_, Customer.name == "O'Brien", Customer.username == "liu.yang")
            .limit(1)
        )
    )
    assert named.first(liu.id).id == liu.id
    assert named.first(_customer("zhang.wei").id) is None
    database = db_conn.obj  # the database behind the app's proxy
    _, sql, params = named._query_for(database)
    sql = str(sql)
    assert "O'Brien" not in sql  # a value with a quote stays a parameter
    assert "'liu.yang'" in sql and "LIMIT 1" in sql
    assert params[1:] == ("O'Brien",)  # the id's slot, then the name


def test_a_partial_index_query_has_its_condition_in_the_sql(db_conn):
    # binding_one_active_per_customer serves it only if "status = 'active'" is in the SQL.
    database = db_conn.obj
    _, sql, _ = binding_models._shown_binding._query_for(database)
    assert "\"status\" = 'active'" in str(sql)
    if isinstance(database, SqliteDatabase):  # PostgreSQL may as well use binding_customer_id
        plan = db_conn.execute_sql("EXPLAIN QUERY PLAN " + sql, [1]).fetchall()
        assert "binding_one_active_per_customer" in str(plan)


def test_postgresql_prepares_each_query_once_per_connection(db_conn):
    database = db_conn.obj
    if isinstance(database, SqliteDatabase):
        pytest.skip("SQLite keeps its own statements")
    by_username = Prepared(lambda name: Customer.select().where(Customer.username == name))
    assert by_username.first("liu.yang").id == _customer("liu.yang").id
    assert by_username.first("zhang.wei").id == _customer("zhang.wei").id

    def prepared_here():
        rows = database.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()
        return [name for (name,) in rows if name == by_username.name]

    assert prepared_here() == [by_username.name]
    database.close()  # a new connection knows nothing of it, and prepares it again
    assert by_username.first("liu.yang").id == _customer("liu.yang").id
    assert prepared_here() == [by_username.name]
