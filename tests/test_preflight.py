"""Pre-flight checks on submit: every outcome, from the demo registry data (SPEC 2.4)."""

import pytest

from tests import wizard
from tests.conftest import log_in, post_form
from tests.test_services import bind_directly
from webapp import sign_in
from webapp.models import Account, Application, AuditEvent, Customer
from webapp.registry.local import put_card

pytestmark = pytest.mark.database


def _submit_as(client, username, **overrides):
    log_in(client, username)
    reference = wizard.through_check(client, username, **overrides)
    return reference, wizard.submit(client, reference)


# What the refusal says next: change an answer here, or come back once it is put right elsewhere.
CHANGE_HERE = "change what is wrong below and submit again"
COME_BACK = "when that is done, come back and submit them again"


def _assert_refused(reference, response, message, check):
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We cannot bind this card yet" in page
    assert message in page
    assert "Your answers are kept" in page
    fixed_here = check in ("card_not_found", "not_own_id", "card_cancelled", "account_ineligible")
    assert (CHANGE_HERE in page) == fixed_here and (COME_BACK in page) != fixed_here
    application = Application.get(Application.reference == reference)
    assert application.status == "draft" and application.failure == check
    assert application.card_number is not None and application.account is not None
    event = AuditEvent.select().where(AuditEvent.action == "application.preflight_failed").get()
    assert event.details == {"check": check} and event.outcome == "refused"


@pytest.mark.parametrize(
    ("username", "check", "message"),
    [
        (
            "wang.fang",
            "card_lost",
            "Your card is reported lost. Report it found at a social security service centre or call 12333",
        ),
        ("li.na", "card_not_activated", "Your card is not activated yet"),
        ("zhao.lei", "card_frozen", "Your card is frozen"),
        ("sun.li", "card_cancelled", "This card has been cancelled"),
    ],
)
def test_each_card_problem_has_its_own_message(client, db_conn, username, check, message):
    reference, response = _submit_as(client, username)
    _assert_refused(reference, response, message, check)


@pytest.mark.parametrize(
    "overrides",
    [{"card_number": "A00000000"}, {"full_name": "张玮"}, {"region": "310000"}],
)
def test_a_card_that_is_unknown_or_does_not_match_is_refused(client, db_conn, overrides):
    reference, response = _submit_as(client, "zhang.wei", **overrides)
    _assert_refused(
        reference, response, "We could not find a social security card", "card_not_found"
    )


def test_someone_elses_card_and_id_are_refused(client, db_conn):
    name, id_number, card_number, region = wizard.persona("li.na")
    reference, response = _submit_as(
        client,
        "zhang.wei",
        full_name=name,
        id_number=id_number,
        card_number=card_number,
        region=region,
    )
    _assert_refused(
        reference, response, "This ID number is not the one we hold for you", "not_own_id"
    )


@pytest.mark.parametrize(
    "overrides", [{}, {"full_name": "李娃"}, {"region": "310000"}, {"card_number": "A00000000"}]
)
def test_someone_elses_id_gets_one_answer_whatever_the_registry_holds(client, db_conn, overrides):
    # Whether the other answers match the registry's card for that ID is never told.
    name, id_number, card_number, region = wizard.persona("li.na")
    answers = {"full_name": name, "card_number": card_number, "region": region, **overrides}
    reference, response = _submit_as(client, "zhang.wei", id_number=id_number, **answers)
    _assert_refused(
        reference, response, "This ID number is not the one we hold for you", "not_own_id"
    )
    assert "We could not find a social security card" not in response.get_data(as_text=True)


def test_a_card_bound_in_another_profile_is_refused_without_saying_whose(client, db_conn):
    liu = Customer.get(Customer.username == "liu.yang")
    twin = Customer.create(
        username="liu.yang2",
        password_hash=sign_in.hash_password("Another-2026"),
        name=liu.name,
        id_number=liu.id_number,
    )
    Account.create(customer=twin, number="6222021009999999999", reserved_mobile="+8618611112222")
    log_in(client, "liu.yang2", "Another-2026")
    reference = wizard.through_check(client, "liu.yang")
    response = wizard.submit(client, reference)
    _assert_refused(
        reference, response, "already bound in another online-banking profile", "bound_elsewhere"
    )
    assert "liu.yang" not in response.get_data(as_text=True)
    assert "****5678" not in response.get_data(as_text=True)


def test_a_card_bound_while_the_application_was_open_is_refused(client, db_conn):
    # zhang.wei's card gets bound (by another way) while his application is at step 4.
    log_in(client)
    reference = wizard.through_check(client)
    bind_directly("zhang.wei")
    response = wizard.submit(client, reference)
    _assert_refused(
        reference, response, "already bound to one of your accounts", "already_bound_to_you"
    )


def test_a_customer_with_a_bound_card_cannot_bind_another(client, db_conn):
    zhang = Customer.get(Customer.username == "zhang.wei")
    put_card("M31452877", zhang.name, zhang.id_number, "110000", "active")
    log_in(client)
    reference = wizard.through_check(client, card_number="M31452877")
    bind_directly("zhang.wei")
    response = wizard.submit(client, reference)
    _assert_refused(
        reference, response, "You already have a social security card bound", "customer_has_binding"
    )


def test_a_bound_customer_who_opens_the_wizard_is_sent_to_their_binding(client, db_conn):
    log_in(client, "liu.yang")
    before = Application.select().count()
    for answer in (client.get("/bind"), post_form(client, "/bind", {}, source="/dashboard")):
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/binding")
    page = client.get("/binding").get_data(as_text=True)
    assert "Your social security card is already bound." in page
    assert Application.select().count() == before


def test_an_account_frozen_after_it_was_chosen_is_refused(client, db_conn):
    log_in(client)
    reference = wizard.through_check(client)
    Account.update(status="frozen").where(
        Account.id == Application.get(Application.reference == reference).account_id
    ).execute()
    response = wizard.submit(client, reference)
    _assert_refused(
        reference, response, "The chosen account cannot take a binding", "account_ineligible"
    )


def test_a_fixed_answer_passes_after_a_failure(client, db_conn):
    reference, response = _submit_as(client, "zhang.wei", card_number="A00000000")
    assert "We could not find" in response.get_data(as_text=True)
    wizard.card_details(client, reference)
    assert wizard.submit(client, reference).headers["Location"].endswith("/verify")
    assert Application.get(Application.reference == reference).failure is None
