"""Agent actions: unlock, cancel, unbind — each with a reason and confirmation, audited, and
refused from the wrong state without changing anything."""

import re

import pytest

from tests import test_agent_console as console
from tests import wizard
from tests.conftest import csrf_token, log_in, post_form
from tests.test_agent_console import text_of
from tests.verification import enter_code, latest_code
from webapp.models import (
    AccessLog,
    Application,
    AuditEvent,
    Binding,
    Challenge,
    Customer,
    SmsMessage,
    VerificationSubject,
)

pytestmark = pytest.mark.database

agent, shopper = console.agent, console.shopper


def customer_id(username):
    return Customer.get(Customer.username == username).id


def snapshot():
    """Everything an action could change, to compare before and after a refusal."""
    return (
        AuditEvent.select().count(),
        list(Application.select(Application.reference, Application.status).tuples()),
        list(Binding.select(Binding.id, Binding.status, Binding.end_reason).tuples()),
        list(
            VerificationSubject.select(
                VerificationSubject.subject, VerificationSubject.locked_until
            ).tuples()
        ),
        list(Challenge.select(Challenge.id, Challenge.status).tuples()),
    )


def locked(shopper, frozen):
    """Drive zhang.wei's verification into a lock with ten wrong entries; returns the path."""
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    path = f"/bind/{reference}/verify"
    for attempt in range(10):
        if attempt == 5:
            frozen.advance(seconds=61)
            post_form(shopper, f"{path}/resend", {}, source=path)
        enter_code(shopper, path, "000000")
    assert "Verification is locked until" in shopper.get(path).get_data(as_text=True)
    return reference, path


def unlock_path(agent, username="zhang.wei"):
    page = console.open_record(agent, customer_id(username)).get_data(as_text=True)
    return re.search(r'href="(/agent/customers/\d+/locks/\d+/unlock)"', page).group(1)


def test_an_agent_unlocks_a_locked_verification_and_the_customer_completes(
    app, agent, shopper, frozen, db_conn
):
    reference, path = locked(shopper, frozen)
    confirm = unlock_path(agent)
    page = text_of(agent.get(confirm))
    assert "Unlock verification?" in page and "Verification is locked until" in page
    assert "You will not see or send a code" in page

    refused = text_of(post_form(agent, confirm, {"reason": ""}))
    assert "Choose the reason for this action" in refused
    assert VerificationSubject.get().is_locked(frozen.now())

    response = post_form(agent, confirm, {"reason": "customer_call"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/agent/customers/{customer_id('zhang.wei')}"
    assert "Verification unlocked" in text_of(agent.get(response.headers["Location"]))
    assert not VerificationSubject.get().is_locked(frozen.now())
    event = AuditEvent.get(AuditEvent.action == "otp.unlocked")
    assert (event.actor_kind, event.actor_name, event.customer_id) == (
        "agent",
        "agent.li",
        customer_id("zhang.wei"),
    )
    assert event.details["reason"] == "agent:customer_call"

    # The customer's own page shows the change: they ask for a code and finish.
    assert "Verification is locked" not in shopper.get(path).get_data(as_text=True)
    frozen.advance(seconds=61)
    post_form(shopper, f"{path}/resend", {}, source=path)
    assert enter_code(shopper, path, latest_code(app)).headers["Location"].endswith("/done")
    assert Application.get(Application.reference == reference).status == "bound"


def test_unlocking_what_is_not_locked_is_refused_without_change(agent, shopper, frozen, db_conn):
    _reference, _path = locked(shopper, frozen)
    confirm = unlock_path(agent)
    # The lock runs out by itself while the agent is on the call.
    frozen.advance(minutes=20)
    assert "Unlock verification?" in text_of(agent.get(confirm))
    frozen.advance(minutes=11)
    assert "nothing to unlock" in text_of(agent.get(confirm))
    before = snapshot()
    response = post_form(agent, confirm, {"reason": "customer_call"}, source="/agent/search")
    assert response.status_code == 409
    assert "Nothing was changed" in text_of(response)
    assert snapshot() == before


def test_a_lock_belongs_to_its_customer(agent, shopper, frozen, db_conn):
    locked(shopper, frozen)
    confirm = unlock_path(agent)
    lock_id = confirm.rsplit("/", 2)[-2]
    elsewhere = f"/agent/customers/{customer_id('wang.fang')}/locks/{lock_id}/unlock"
    assert agent.get(elsewhere).status_code == 404
    before = snapshot()
    response = post_form(agent, elsewhere, {"reason": "customer_call"}, source="/agent/search")
    assert response.status_code == 404
    assert snapshot() == before


def test_an_agent_cancels_an_open_application(agent, shopper, db_conn):
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    confirm = f"/agent/applications/{reference}/cancel"
    agent.get(f"/agent/applications/{reference}")  # opened by its reference first: no search
    assert f"Cancel application {reference}?" in text_of(agent.get(confirm))
    response = post_form(agent, confirm, {"reason": "complaint", "note": "customer changed mind"})
    assert response.status_code == 303
    # The record opened after it is logged with the action's reason.
    agent.get(response.headers["Location"])
    opened = AccessLog.select().where(AccessLog.action == "view").order_by(AccessLog.id.desc())
    assert opened.first().reason == "complaint"
    application = Application.get(Application.reference == reference)
    assert application.status == "cancelled" and application.closed_at is not None
    assert not Challenge.select().where(Challenge.status == "active").exists()
    cancelled = AuditEvent.get(AuditEvent.action == "application.cancelled")
    assert (cancelled.actor_kind, cancelled.actor_name) == ("agent", "agent.li")
    assert cancelled.details["reason"] == "agent:complaint"
    note = AuditEvent.get(AuditEvent.action == "agent.note")
    assert note.details["note"] == "customer changed mind" and note.subject == reference
    # The customer's own page shows it cancelled, and they may start again.
    assert "Cancelled" in text_of(shopper.get("/binding"))
    assert "Bind my card" in text_of(shopper.get("/dashboard"))


def test_cancelling_an_application_that_is_no_longer_open_is_refused(agent, db_conn):
    bound = Application.get(Application.status == "bound")
    confirm = f"/agent/applications/{bound.reference}/cancel"
    assert "no longer open" in text_of(agent.get(confirm))
    before = snapshot()
    response = post_form(agent, confirm, {"reason": "customer_call"}, source="/agent/search")
    assert response.status_code == 409
    assert snapshot() == before


def test_an_agent_unbinds_a_card_at_the_customers_request(app, agent, db_conn):
    liu = app.test_client()
    liu.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(liu, "liu.yang")
    confirm = f"/agent/customers/{customer_id('liu.yang')}/unbind"
    page = text_of(agent.get(confirm))
    assert "Unbind this card?" in page and "Card ****0394 stops being bound to account" in page
    response = post_form(agent, confirm, {"reason": "customer_call"})
    assert response.status_code == 303
    binding = Binding.get()
    assert binding.status == "ended" and binding.ended_at is not None
    assert binding.end_reason == "agent:customer_call"
    ended = AuditEvent.get(AuditEvent.action == "binding.ended")
    assert (ended.actor_kind, ended.actor_name, ended.customer_id) == (
        "agent",
        "agent.li",
        customer_id("liu.yang"),
    )
    assert "Not bound" in text_of(liu.get("/dashboard"))
    notice = SmsMessage.get(SmsMessage.kind == "notice")
    assert notice.customer_id == customer_id("liu.yang") and notice.masked_mobile == "186****2222"
    record = text_of(console.open_record(agent, customer_id("liu.yang")))
    assert "Agent 李晓明 Binding ended Done Card: ****0394" in record


def test_unbinding_when_nothing_is_bound_is_refused_without_change(agent, db_conn):
    confirm = f"/agent/customers/{customer_id('zhang.wei')}/unbind"
    assert "nothing to unbind" in text_of(agent.get(confirm))
    before = snapshot()
    response = post_form(agent, confirm, {"reason": "customer_call"}, source="/agent/search")
    assert response.status_code == 409
    assert snapshot() == before


def test_unbinding_twice_ends_the_binding_once(agent, db_conn):
    confirm = f"/agent/customers/{customer_id('liu.yang')}/unbind"
    token = csrf_token(agent, confirm)
    first = agent.post(confirm, data={"csrf_token": token, "reason": "customer_call"})
    second = agent.post(confirm, data={"csrf_token": token, "reason": "customer_call"})
    assert (first.status_code, second.status_code) == (303, 409)
    assert AuditEvent.select().where(AuditEvent.action == "binding.ended").count() == 1


def test_other_needs_a_note_and_a_note_never_keeps_a_full_identifier(agent, db_conn):
    confirm = f"/agent/customers/{customer_id('liu.yang')}/unbind"
    page = text_of(post_form(agent, confirm, {"reason": "other"}))
    assert "Say why in a few words when the reason is Other" in page
    assert Binding.get().status == "active"
    liu_id = Customer.get(Customer.username == "liu.yang").id_number
    post_form(agent, confirm, {"reason": "other", "note": f"caller read out {liu_id}"})
    note = AuditEvent.get(AuditEvent.action == "agent.note")
    assert liu_id not in note.detail and note.details["note"].endswith(liu_id[-4:])


@pytest.mark.parametrize("action", ["unlock", "cancel", "unbind"])
def test_every_action_needs_a_csrf_token(agent, shopper, frozen, db_conn, action):
    if action == "unlock":
        locked(shopper, frozen)
        path = unlock_path(agent)
    elif action == "cancel":
        path = f"/agent/applications/{wizard.start(shopper)}/cancel"
    else:
        path = f"/agent/customers/{customer_id('liu.yang')}/unbind"
    before = snapshot()
    assert agent.post(path, data={"reason": "customer_call"}).status_code == 400
    assert (
        agent.post(path, data={"reason": "customer_call", "csrf_token": "forged"}).status_code
        == 400
    )
    assert snapshot() == before


def test_actions_need_a_confirmation_page_first_and_change_nothing_on_get(agent, db_conn):
    before = snapshot()
    for path in (
        f"/agent/customers/{customer_id('liu.yang')}/unbind",
        f"/agent/applications/{Application.get().reference}/cancel",
    ):
        assert agent.get(path).status_code == 200
    assert snapshot() == before


def test_agent_pages_never_show_a_code(app, agent, shopper, db_conn):
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    code = latest_code(app)
    html = console.open_record(agent, customer_id("zhang.wei")).get_data(as_text=True)
    assert not re.search(rf"(?<![0-9a-f]){code}(?![0-9a-f])", html)
    assert agent.get("/dev/outbox").status_code in (403, 404)
