"""The database itself refuses a second active binding per card or customer (SPEC 3.7)."""

import threading

import pytest
from peewee import IntegrityError

from webapp import binding
from webapp.extensions import db
from webapp.models import Account, Application, Binding, Customer

pytestmark = pytest.mark.database


def _liu():
    return Customer.get(Customer.username == "liu.yang")


def _zhang():
    return Customer.get(Customer.username == "zhang.wei")


def _new_binding(customer, card_number):
    application = Application.create(customer=customer, status="bound", card_number=card_number)
    return Binding.create(
        customer=customer,
        card_number=card_number,
        region="110000",
        account=Account.of(customer).first(),
        application=application,
    )


def test_a_second_active_binding_of_the_same_card_is_refused(db_conn):
    with pytest.raises(IntegrityError), db.database.atomic():
        _new_binding(_zhang(), "Z76120394")  # liu.yang's bound card
    assert Binding.select().where(Binding.status == "active").count() == 1


def test_a_second_active_binding_for_the_same_customer_is_refused(db_conn):
    with pytest.raises(IntegrityError), db.database.atomic():
        _new_binding(_liu(), "A12345678")


def test_an_ended_binding_does_not_block_a_new_one(db_conn):
    Binding.update(status="ended").execute()
    _new_binding(_zhang(), "Z76120394")
    assert Binding.select().where(Binding.status == "active").count() == 1


def test_a_second_open_application_is_refused_by_the_database(db_conn):
    Application.create(customer=_zhang())
    with pytest.raises(IntegrityError), db.database.atomic():
        Application.create(customer=_zhang())


def test_two_simultaneous_binds_of_one_card_give_one_binding(app, db_conn):
    Binding.update(status="ended").execute()
    customers = [_zhang().id, Customer.get(Customer.username == "chen.jing").id]
    barrier = threading.Barrier(2)
    outcomes = []

    def bind(customer_id):
        customer = Customer.get_by_id(customer_id)
        barrier.wait()
        try:
            with db.database.atomic():
                _new_binding(customer, "Z76120394")
            outcomes.append("bound")
        except IntegrityError:
            outcomes.append("refused")
        finally:
            db.database.close()

    threads = [threading.Thread(target=bind, args=(c,)) for c in customers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["bound", "refused"]
    assert Binding.select().where(Binding.status == "active").count() == 1


def test_concurrent_starts_resume_one_application(app, db_conn):
    zhang = _zhang().id
    barrier = threading.Barrier(2)
    references = []

    def start():
        barrier.wait()
        try:
            references.append(binding.start(Customer.get_by_id(zhang)).reference)
        finally:
            db.database.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(references) == 2 and references[0] == references[1]
    assert Application.select().where(Application.customer == zhang).count() == 1
