"""A customer's record in the agent console: binding, applications, why they failed, texts, timeline."""

import re
from pathlib import Path

import pytest

from tests import test_agent_console as console
from tests import wizard
from tests.conftest import log_in, post_form
from tests.test_agent_console import counting_queries, text_of
from tests.test_agent_search import search
from tests.test_payments import pay
from tests.verification import enter_code, latest_code
from webapp import agent_timeline, otp, preflight, sms
from webapp.models import (
    AccessLog,
    Application,
    AuditEvent,
    Customer,
    SignatureRecord,
    SmsMessage,
)
from webapp.registry.local import put_card

pytestmark = pytest.mark.database

agent, shopper = console.agent, console.shopper


def customer_id(username):
    return Customer.get(Customer.username == username).id


def record(client, username):
    return console.open_record(client, customer_id(username))


def positions(page, phrases):
    """Where each phrase first appears after the one before (fails when one is missing)."""
    found, start = [], 0
    for phrase in phrases:
        at = page.find(phrase, start)
        assert at >= 0, f"{phrase!r} missing after position {start}"
        found.append(at)
        start = at + len(phrase)
    return found


def test_customers_and_applications_that_do_not_exist_answer_404(agent):
    assert agent.get("/agent/customers/999999").status_code == 404
    assert agent.get("/agent/customers/abc").status_code == 404
    assert agent.get("/agent/applications/SSB-ZZZZZZZZ").status_code == 404
    assert agent.get("/agent/customers/999999/unbind").status_code == 404
    assert agent.get("/agent/customers/999999/locks/1/unlock").status_code == 404
    assert agent.get("/agent/applications/SSB-ZZZZZZZZ/cancel").status_code == 404
    # Numbers no table's id can reach never get as far as the database.
    huge = "9" * 30
    assert agent.get(f"/agent/customers/{huge}").status_code == 404
    assert agent.get("/agent/customers/2147483648/unbind").status_code == 404
    assert agent.get(f"/agent/customers/1/locks/{huge}/unlock").status_code == 404
    assert agent.get("/agent/customers/0").status_code == 404


def test_an_application_reference_leads_to_its_customers_record(agent, shopper, db_conn):
    reference = wizard.start(shopper)
    response = agent.get(f"/agent/applications/{reference}")
    assert response.status_code == 303
    assert (
        response.headers["Location"] == f"/agent/customers/{customer_id('zhang.wei')}#{reference}"
    )


def test_the_lost_card_personas_record_says_why_her_application_fails(app, agent, db_conn):
    wang = app.test_client()
    wang.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(wang, "wang.fang")
    reference = wizard.through_check(wang, "wang.fang")
    assert wizard.submit(wang, reference).status_code == 200
    page = text_of(record(agent, "wang.fang"))
    assert "王* Customer" in page and "310104********0424" in page and "139****5678" in page
    assert f"{reference} In progress" in page
    assert (
        "Why it is stuck Refused by the check: card reported lost. "
        "The customer was told: “Your card is reported lost." in page
    )
    assert page.count("Refused by the check") == 1  # said once, not again on its card
    assert "call 12333" in page
    assert "Card ****8731" in page and "Account ****3456" in page
    positions(
        page,
        [
            "Customer 王* Logged in",
            "Customer 王* Started an application",
            "Customer 王* Entered the card details Done Card: ****8731",
            "Customer 王* Chose the account Done Account: ****3456",
            "Customer 王* Submitted, but a pre-flight check failed Refused Check: card reported lost",
        ],
    )
    assert "S20948731" not in page and "13912345678" not in page
    # Cancelled, the application is no longer stuck: its card says why it failed.
    post_form(wang, f"/bind/{reference}/cancel", {}, source=f"/bind/{reference}/cancel")
    page = text_of(record(agent, "wang.fang"))
    assert "Why it is stuck" not in page
    assert "Why it failed Refused by the check: card reported lost." in page


def test_a_bound_customer_shows_the_binding_and_its_signature_record(agent, db_conn):
    page = text_of(record(agent, "liu.yang"))
    assert "Binding now Bound Card ****0394 bound to account ****5678 since" in page
    assert "Unbind at the customer's request" in page
    assert "Agreement 2026-11, consented" in page and "SHA-256" in page
    assert "Seal verifies" in page


def test_a_changed_signature_record_is_shown_as_not_verifying(agent, db_conn):
    SignatureRecord.update(masked_account="****9999").execute()
    page = text_of(record(agent, "liu.yang"))
    assert "Seal does not verify: the record was changed" in page


def test_a_binding_whose_card_the_registry_reports_lost_is_suspended(agent, db_conn):
    liu = Customer.get(Customer.username == "liu.yang")
    put_card("Z76120394", liu.name, liu.id_number, "330100", "lost")
    page = text_of(record(agent, "liu.yang"))
    assert "Binding now Suspended" in page
    assert "The registry reports card ****0394 as reported lost" in page


def test_a_customer_with_no_application_has_a_quiet_record(agent):
    page = text_of(record(agent, "li.na"))
    assert "Not bound No card is bound and no application is open." in page
    assert "This customer has not applied to bind a card." in page
    assert "Verification is not locked." in page and "Online-banking login: not locked" in page


def test_a_locked_online_banking_login_is_shown_with_its_end(app, agent, db_conn):
    other = app.test_client()
    for _ in range(5):
        log_in(other, "li.na", "wrong-password")
    page = text_of(record(agent, "li.na"))
    assert "Online-banking login: Locked until" in page
    assert "Customer 李* Login locked for 15 minutes after 5 failed attempts Locked" in page


def _code_in(body):
    return re.search(r"#(\d{6})$", body).group(1)


def test_the_timeline_of_a_journey_with_failures_shows_every_event_in_order(
    app, agent, shopper, fake_twilio, frozen, db_conn
):
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    path = f"/bind/{reference}/verify"
    first_code = _code_in(fake_twilio.requests[-1].body)
    enter_code(shopper, path, "000000" if first_code != "000000" else "111111")

    fake_twilio.fail_with("server_error")
    frozen.advance(seconds=61)
    post_form(shopper, f"{path}/resend", {}, source=path)
    fake_twilio.answer = None

    # Nine more wrong entries over two codes: the tenth in all locks verification.
    for round_ in range(2):
        frozen.advance(seconds=61)
        post_form(shopper, f"{path}/resend", {}, source=path)
        for _ in range(5 if round_ == 0 else 4):
            enter_code(shopper, path, "000000")
    assert "Verification is locked until" in shopper.get(path).get_data(as_text=True)

    page = text_of(record(agent, "zhang.wei"))
    assert "Verification locked" in page and "after 10 wrong entries" in page
    html = record(agent, "zhang.wei").get_data(as_text=True)
    unlock = re.search(r'href="(/agent/customers/\d+/locks/\d+/unlock)"', html).group(1)
    assert post_form(agent, unlock, {"reason": "customer_call"}).status_code == 303

    frozen.advance(seconds=61)
    post_form(shopper, f"{path}/resend", {}, source=path)
    response = enter_code(shopper, path, _code_in(fake_twilio.requests[-1].body))
    assert response.headers["Location"].endswith("/done")

    page = text_of(record(agent, "zhang.wei"))
    positions(
        page,
        [
            "Customer 张* Started an application",
            "Customer 张* Submitted the application and consented",
            "Customer 张* Code sent by SMS Done",
            "Customer 张* Code entered Wrong code",
            "Customer 张* Code not sent: the SMS provider failed Failed",
            "Provider error code: 20500",
            "Customer 张* Code sent by SMS Done",
            "Customer 张* Code entered Wrong code",
            "Customer 张* Code entered Code entered wrongly 5 times",
            "Customer 张* Code sent by SMS Done",
            "System Verification locked for 30 minutes 10 wrong entries",
            "Customer 张* Code entered Locked",
            "Agent 李晓明 Verification unlocked Done Reason: Customer call",
            "Customer 张* Code sent by SMS Done",
            "Customer 张* Code entered Done",
            "Customer 张* Card bound Done Card: ****2876 · Account: ****2345",
        ],
    )
    assert "Binding now Bound" in page
    assert "provider error 20500" in page
    events = AuditEvent.select().where(AuditEvent.customer == customer_id("zhang.wei"))
    times = [(e.at, e.id) for e in events]
    assert times == sorted(times)


def test_sms_records_show_sent_at_provider_status_error_code_and_delivery(
    app, agent, shopper, fake_twilio, db_conn
):
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    with app.app_context():
        sent = SmsMessage.get()
        sms.record_status(sid=sent.provider_sid, provider_status="undelivered", error_code="30003")
    page = text_of(record(agent, "zhang.wei"))
    assert "Undelivered" in page
    assert "Code to bind · to 138****8000 · provider error 30003" in page


def test_opening_a_record_is_logged_with_the_reason_of_the_search_that_led_there(agent, db_conn):
    search(agent, "13800138000", reason="complaint")
    zhang, liu = customer_id("zhang.wei"), customer_id("liu.yang")
    assert "Hello" not in text_of(agent.get(f"/agent/customers/{zhang}"))
    # No search led to liu.yang: the record asks why before it opens, and logs nothing yet.
    page = text_of(agent.get(f"/agent/customers/{liu}"))
    assert "Why are you opening this record?" in page and "Customer 刘*" in page
    refused = post_form(agent, f"/agent/customers/{liu}", {"reason": ""})
    assert "Choose why you are opening this record" in text_of(refused)
    opened = post_form(agent, f"/agent/customers/{liu}", {"reason": "fraud_check"})
    assert opened.headers["Location"] == f"/agent/customers/{liu}"
    assert "Applications" in text_of(agent.get(f"/agent/customers/{liu}"))
    views = [
        (row.action, row.kind, row.customer_id, row.reason)
        for row in AccessLog.select().where(AccessLog.action == "view").order_by(AccessLog.id)
    ]
    assert views == [
        ("view", "customer", zhang, "complaint"),
        ("view", "customer", liu, "fraud_check"),
    ]


def test_the_record_stays_within_the_query_budget_however_long_the_history(
    app, agent, shopper, frozen, db_conn, monkeypatch
):
    for _ in range(3):
        reference = wizard.through_check(shopper)
        wizard.submit(shopper, reference)
        post_form(shopper, f"/bind/{reference}/cancel", {})
        frozen.advance(seconds=61)
    for username in ("zhang.wei", "liu.yang"):
        path = f"/agent/customers/{customer_id(username)}"
        console.open_record(agent, customer_id(username))
        with counting_queries(monkeypatch) as queries:
            response = agent.get(path)
        assert response.status_code == 200
        assert len(queries) <= 8, (username, queries.statements)


def test_the_record_is_in_the_agents_language(agent, db_conn):
    asked = agent.get(
        f"/agent/customers/{customer_id('liu.yang')}", headers={"Accept-Language": "zh-CN"}
    )
    assert "为什么要打开这份客户档案？" in text_of(asked)
    record(agent, "liu.yang")
    response = agent.get(
        f"/agent/customers/{customer_id('liu.yang')}", headers={"Accept-Language": "zh-CN"}
    )
    page = text_of(response)
    assert 'lang="zh-Hans"' in response.get_data(as_text=True)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page)


def test_applications_list_every_state_with_its_reference(agent, shopper, db_conn):
    cancelled = wizard.start(shopper)
    post_form(shopper, f"/bind/{cancelled}/cancel", {})
    open_ = wizard.start(shopper)
    page = text_of(record(agent, "zhang.wei"))
    assert f"{open_} In progress" in page and f"{cancelled} Cancelled" in page
    assert page.index(open_) < page.index(cancelled)
    assert Application.select().where(Application.reference.in_([open_, cancelled])).count() == 2


def test_every_recorded_action_check_and_reason_reads_in_words(agent, app, db_conn):
    # liu.yang pays a fee, then unbinds; each step is recorded as the app records it.
    customer = app.test_client()
    customer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(customer, "liu.yang")
    pay(customer, app)
    post_form(customer, "/binding/unbind", {"reason": "other_bank"})
    enter_code(customer, "/binding/unbind/verify", latest_code(app))
    search(agent, "Z76120394")
    page = text_of(agent.get(f"/agent/customers/{customer_id('liu.yang')}"))
    assert "Paid a social insurance fee" in page
    assert "Reason: I will use another bank" in page
    for raw in ("payment.paid", "binding.ended", "other_bank", "otp.issued"):
        assert raw not in page, raw
    # Every check the pre-flight makes, and every reason a code is refused, has its words.
    assert set(preflight.MESSAGES) <= set(agent_timeline.CHECKS)
    refusals = set(re.findall(r'Refused\("(\w+)"', Path(otp.__file__).read_text()))
    assert {"cooldown", "last_code", "codes_used_up"} <= refusals
    assert refusals <= set(agent_timeline.OUTCOMES)
    checked = set(re.findall(r'CheckResult\("(\w+)"', Path(otp.__file__).read_text()))
    assert {"wrong", "earlier", "dead"} <= checked
    assert checked - {"ok"} <= set(agent_timeline.OUTCOMES)
