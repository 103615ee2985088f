"""Paying social insurance fees: confirm, authorise with a code, pay exactly once (SPEC 2.6, 3.7)."""

import datetime
import re
import threading

import pytest

from tests.conftest import csrf_token, log_in, post_form
from tests.test_agent_console import agent_log_in, open_record
from tests.test_services import QueryCounter, bind_directly, report_card, text_of
from tests.verification import (
    assert_new_session,
    latest_code,
    send_codes_to,
    session_cookie,
    signed_in_with,
)
from webapp import clock, demo, otp, payments, registry, sign_in, sms
from webapp.extensions import db
from webapp.models import (
    Account,
    Agent,
    AuditEvent,
    Binding,
    Challenge,
    Customer,
    Payment,
    VerificationSubject,
)
from webapp.registry.insurance import RegistryContribution, RegistryPayableItem, RegistryPayment

pytestmark = pytest.mark.database

KEY = re.compile(r'name="key" type="hidden" value="([^"]+)"')
CHALLENGE = re.compile(r'name="challenge_id" type="hidden" value="([^"]+)"')
RESIDENT = "RM-2027" if registry.today().month >= 9 else f"RM-{registry.today().year}"
OPENING = {
    number: balance
    for _user, _name, _ric, accounts in demo.PERSONAS
    for number, _kind, _currency, _status, balance, _mobile in accounts
}


def flexible():
    """The code of this month's flexible-employment pension item."""
    return f"FP-{registry.today():%Y%m}"


def bound_account(username="liu.yang"):
    customer = Customer.get(Customer.username == username)
    return Account.of(customer).first()


def confirm(client, item=RESIDENT, base=None):
    """Open the confirm page; returns (its path, the idempotency key it carries)."""
    path = f"/services/pay/{item}" + (f"?base={base}" if base is not None else "")
    page = client.get(path).get_data(as_text=True)
    match = KEY.search(page)
    assert match, text_of_html(page)
    return path, match.group(1)


def text_of_html(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def send_code(client, item, key, base="", source=None, again=None):
    """Press "Send the code" (or, with again="1", the code page's "Send a new code"); returns
    the response (a 303 to the code page when sent)."""
    return post_form(
        client,
        f"/services/pay/{item}/code",
        {"key": key, "base": base, **({"again": again} if again else {})},
        source=source or f"/services/pay/{item}",
    )


def authorise(client, item, key, code, base="", challenge=None):
    """Enter the code on the code page; returns the response."""
    page_path = f"/services/pay/{item}/authorise?key={key}" + (f"&base={base}" if base else "")
    if challenge is None:
        challenge = CHALLENGE.search(client.get(page_path).get_data(as_text=True)).group(1)
    # Any page's form gives the session's token: the code page itself may have become a receipt.
    return post_form(
        client,
        f"/services/pay/{item}/authorise",
        {"key": key, "base": base, "challenge_id": challenge, "code": code},
        source="/dashboard",
    )


def code_sent(client, app, item=RESIDENT):
    """Confirm and send the code; returns (the form's key, the code, its challenge id)."""
    path, key = confirm(client, item)
    send_code(client, item, key, source=path)
    page = client.get(f"/services/pay/{item}/authorise?key={key}").get_data(as_text=True)
    return key, latest_code(app), CHALLENGE.search(page).group(1)


def pay(client, app, item=RESIDENT, base=None):
    """The whole flow; returns (key, the response to entering the code)."""
    path, key = confirm(client, item, base)
    sent = send_code(client, item, key, base or "", source=path)
    assert sent.status_code == 303 and "/authorise?key=" in sent.headers["Location"]
    return key, authorise(client, item, key, latest_code(app), base or "")


def assert_books_agree():
    """Every account's balance is its opening balance less its payments, and the registry
    holds exactly one record per bank payment, for the same amount, marking its item paid."""
    for account in Account.select():
        paid = sum(p.amount_fen for p in Payment.select().where(Payment.account == account))
        assert account.balance_fen == OPENING[account.number] - paid
    bank = {p.receipt_number: p for p in Payment.select()}
    kept = {r.bank_reference: r for r in RegistryPayment.select()}
    assert set(bank) == set(kept)
    for number, payment in bank.items():
        assert kept[number].amount_fen == payment.amount_fen
        assert kept[number].reference == payment.registry_reference
    paid_items = RegistryPayableItem.select().where(RegistryPayableItem.paid_at.is_null(False))
    assert {item.id for item in paid_items} == {r.item_id for r in kept.values()}


@pytest.fixture
def liu(client):
    """A client logged in as liu.yang, whose card is bound to account ****5678."""
    assert log_in(client, "liu.yang").status_code == 303
    return client


def test_paying_resident_medical_insurance_debits_the_account_and_gives_a_receipt(
    liu, app, frozen, db_conn
):
    page = text_of(liu.get(f"/services/pay/{RESIDENT}"))
    assert "Confirm your payment" in page and "¥400.00" in page and "****5678" in page
    assert "¥22,100.00" in page and "186****2222" in page
    before = session_cookie(liu)
    key, response = pay(liu, app)
    assert response.status_code == 303
    # The code started a new session: a copy of the cookie from before it soon stops working.
    assert_new_session(app, liu, before)
    receipt_path = response.headers["Location"]
    assert re.fullmatch(r"/services/payments/SSP-[2-9A-HJ-NP-Z]{10}", receipt_path)

    receipt = text_of(liu.get(receipt_path))
    payment = Payment.get(Payment.idempotency_key == key)
    assert "Payment made" in receipt and payment.receipt_number in receipt
    assert "Urban and rural resident medical insurance" in receipt and "¥400.00" in receipt
    assert "****5678" in receipt and payment.registry_reference in receipt
    assert "6222021001000045678" not in liu.get(receipt_path).get_data(as_text=True)

    assert bound_account().balance_fen == 2_210_000 - 40_000
    assert RegistryPayment.get(RegistryPayment.bank_reference == payment.receipt_number)
    assert registry.payable_item(payment.customer.id_number, RESIDENT).paid
    assert AuditEvent.select().where(AuditEvent.action == "payment.paid").count() == 1
    assert_books_agree()

    history = text_of(liu.get("/services/payments"))
    assert payment.receipt_number in history and "¥400.00" in history
    pay_page = text_of(liu.get("/services/pay"))
    assert "Paid" in pay_page and "¥21,700.00" in pay_page


def test_the_sms_says_what_it_authorises(liu, app, db_conn):
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    with app.app_context():
        text = sms.outbox()[0].text
    # The amount it authorises, as the confirm page showed it.
    assert "pay ¥400.00 of social insurance fees for card ****0394 from account ****5678" in text
    assert "¥400.00" in liu.get(path).get_data(as_text=True)


def test_the_code_page_takes_at_most_eight_queries(liu, app, db_conn, monkeypatch):
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
    counter = QueryCounter(monkeypatch)
    page = liu.get(code_page).get_data(as_text=True)
    assert 'name="code"' in page and "Send a new code" in page
    assert counter.count <= 8, counter.count
    # Also when the mobile number's daily limit holds new codes, which the page then says.
    send_codes_to(app, bound_account().reserved_mobile, 9)
    counter = QueryCounter(monkeypatch)
    page = liu.get(code_page).get_data(as_text=True)
    assert "This mobile number has had all the codes it can get in 24 hours" in page
    assert 'name="code"' in page and "Send a new code" not in page
    assert counter.count <= 8, counter.count


def test_the_confirm_page_says_when_the_mobile_number_has_had_its_codes_for_the_day(
    liu, app, db_conn
):
    page = text_of(liu.get(f"/services/pay/{RESIDENT}"))
    assert "we will text a code to 186****2222" in page and "we cannot send it another" not in page
    send_codes_to(app, bound_account().reserved_mobile, 10)
    # (The exact time is checked on step 4 of the wizard, which uses the same message.)
    page = liu.get(f"/services/pay/{RESIDENT}").get_data(as_text=True)
    held = re.search(
        r"A mobile number may get at most 10 codes in 24 hours and 186\*{4}2222 has had them, so "
        r"we cannot send it another until [^.]+\d\d\W+[AP]M\. Please come back then\.",
        page,
    )
    assert held, text_of_html(page)
    assert "we will text a code" not in page
    # Nothing can be sent before then, so the page offers nothing to send.
    assert "Send the code" not in page and f"/services/pay/{RESIDENT}/code" not in page
    chinese = liu.get(f"/services/pay/{RESIDENT}", headers={"Accept-Language": "zh-CN"})
    assert "手机号 186****2222 已达上限" in chinese.get_data(as_text=True)
    # Where the balance is too low, that is what the page says; it offers no button.
    Account.update(balance_fen=39_999).where(Account.id == bound_account().id).execute()
    page = text_of(liu.get(f"/services/pay/{RESIDENT}"))
    assert "balance is not enough" in page and "we cannot send it another" not in page


def test_the_same_form_submitted_twice_pays_once_and_shows_the_same_receipt(liu, app, db_conn):
    key, code, challenge = code_sent(liu, app)
    first = authorise(liu, RESIDENT, key, code, challenge=challenge)
    again = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert "already made" in text_of(liu.get(again.headers["Location"]))
    assert Payment.select().count() == 1
    assert bound_account().balance_fen == 2_210_000 - 40_000

    # Back to the confirm page's form and press Send again: the receipt, and no new code.
    outbox_before = _outbox_size(app)
    back = send_code(liu, RESIDENT, key, source=f"/services/pay/{RESIDENT}")
    assert back.status_code == 303 and back.headers["Location"] == first.headers["Location"]
    assert _outbox_size(app) == outbox_before
    # A retry of the code page after a timeout lands on the receipt too.
    retry = liu.get(f"/services/pay/{RESIDENT}/authorise?key={key}")
    assert retry.headers["Location"] == first.headers["Location"]
    assert_books_agree()


def _outbox_size(app):
    with app.app_context():
        return len(sms.outbox())


def _at_once(app, clients, submit):
    """Run submit(client) for every client at the same moment; returns their responses."""
    barrier = threading.Barrier(len(clients))
    responses = [None] * len(clients)

    def run(index, client):
        try:
            barrier.wait()
            responses[index] = submit(index, client)
        finally:
            db.database.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


def _two_tabs(app):
    """Two clients sharing one logged-in session, like two tabs of one browser."""
    clients = [app.test_client(), app.test_client()]
    for client in clients:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(clients[0], "liu.yang")
    clients[1].set_cookie("ssb_session", clients[0].get_cookie("ssb_session").value)
    return clients


def test_the_second_tap_of_a_double_tap_shows_the_receipt_and_keeps_the_customer_signed_in(
    liu, app, frozen, db_conn
):
    key, code, challenge = code_sent(liu, app)
    code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
    form = {"csrf_token": csrf_token(liu, code_page), "key": key, "base": "", "code": code}
    form["challenge_id"] = challenge
    before = session_cookie(liu)
    first = liu.post(f"/services/pay/{RESIDENT}/authorise", data=form)
    receipt = first.headers["Location"]
    # The second tap left the browser before the first's answer came back: it carries the
    # cookie from before the code, and the same form.
    second_tab = app.test_client()
    second_tab.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    second_tab.set_cookie("ssb_session", before)
    second = second_tab.post(f"/services/pay/{RESIDENT}/authorise", data=form)
    assert second.status_code == 303 and second.headers["Location"] == receipt
    page = text_of(second_tab.get(receipt))
    assert "This payment was already made. Nothing more was taken." in page
    assert Payment.select().count() == 1
    # Its answer moved it on to the new session, which lasts. The old cookie let in only the
    # same form, and only at once: anything else it asks for is refused.
    frozen.advance(seconds=11)
    assert signed_in_with(app, session_cookie(second_tab))
    assert not signed_in_with(app, before)
    late = app.test_client()
    late.set_cookie("ssb_session", before)
    answer = late.post(f"/services/pay/{RESIDENT}/authorise", data=form)
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    # The same form sent again later, from the page still open, finds the receipt too.
    again = liu.post(f"/services/pay/{RESIDENT}/authorise", data=form)
    assert again.status_code == 303 and again.headers["Location"] == receipt
    # And the page's own Log out, whose token was signed before the code, still works.
    out = liu.post("/logout", data={"csrf_token": form["csrf_token"]})
    assert out.status_code == 303 and "logged_out=1" in out.headers["Location"]


def _holding(app, cookie):
    """A new browser holding a copy of a session cookie."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    other.set_cookie("ssb_session", cookie)
    return other


def _paid_with_a_copy_taken(liu, app):
    """The payment's code entered right, and a copy of the cookie taken before it; the form."""
    key, code, challenge = code_sent(liu, app)
    token = csrf_token(liu, f"/services/pay/{RESIDENT}/authorise?key={key}")
    form = {"csrf_token": token, "key": key, "base": "", "code": code, "challenge_id": challenge}
    copied = session_cookie(liu)  # whoever holds it can read the challenge id from the page
    assert liu.post(f"/services/pay/{RESIDENT}/authorise", data=form).status_code == 303
    return form, copied


@pytest.mark.parametrize(
    "path",
    [f"/services/pay/{RESIDENT}/authorise", "/binding/unbind/verify", "/bind", "/binding/unbind"],
)
def test_the_right_code_lets_the_old_cookie_in_only_on_its_own_code_page(liu, app, db_conn, path):
    form, copied = _paid_with_a_copy_taken(liu, app)
    other = _holding(app, copied)
    answer = other.post(path, data=form)
    if path == f"/services/pay/{RESIDENT}/authorise":
        assert answer.status_code == 303 and signed_in_with(app, session_cookie(other))
    else:
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        assert not signed_in_with(app, session_cookie(other))
    assert signed_in_with(app, session_cookie(liu))


def test_one_wrong_guess_with_the_old_cookie_ends_the_grace_and_is_recorded(liu, app, db_conn):
    form, copied = _paid_with_a_copy_taken(liu, app)
    authorise = f"/services/pay/{RESIDENT}/authorise"
    wrong = f"{(int(form['code']) + 1) % 1_000_000:06d}"
    for guess in ({**form, "code": wrong}, {**form, "code": ""}, form):
        answer = _holding(app, copied).post(authorise, data=guess)
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    (event,) = AuditEvent.select().where(AuditEvent.action == "session.twin_refused")
    liu_id = Customer.get(Customer.username == "liu.yang").id
    # Recorded for the customer, as the system's finding: whoever sent it held the cookie.
    assert (event.customer_id, event.actor_kind, event.outcome) == (liu_id, "system", "refused")
    assert signed_in_with(app, session_cookie(liu))


def test_the_refused_twin_is_recorded_with_the_address_it_came_from(liu, app, db_conn):
    form, copied = _paid_with_a_copy_taken(liu, app)
    liu.get("/dashboard", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    wrong = f"{(int(form['code']) + 1) % 1_000_000:06d}"
    # Refused for its CSRF token before anything else runs: the record still has its address.
    _holding(app, copied).post(
        f"/services/pay/{RESIDENT}/authorise",
        data={**form, "code": wrong, "csrf_token": "stale"},
        environ_base={"REMOTE_ADDR": "198.51.100.9"},
    )
    event = AuditEvent.get(AuditEvent.action == "session.twin_refused")
    assert event.ip == "198.51.100.9"


def test_guesses_sent_side_by_side_get_no_more_than_one(liu, app, db_conn, monkeypatch):
    form, copied = _paid_with_a_copy_taken(liu, app)
    wrong = f"{(int(form['code']) + 1) % 1_000_000:06d}"
    # Both requests have read the customer's row before the wrong guess ends the grace; the
    # right code stands in for a lucky guess.
    real, both_read, ended = sign_in.carried_over, threading.Barrier(2), threading.Event()

    def side_by_side(user, token, proof):
        both_read.wait()
        if proof.endswith(":" + wrong):
            try:
                return real(user, token, proof)
            finally:
                ended.set()
        ended.wait()
        return real(user, token, proof)

    monkeypatch.setattr(sign_in, "carried_over", side_by_side)
    answers = {}

    def send(code):
        try:
            data = {**form, "code": code}
            answers[code] = _holding(app, copied).post(
                f"/services/pay/{RESIDENT}/authorise", data=data
            )
        finally:
            db.database.close()

    threads = [threading.Thread(target=send, args=(code,)) for code in (wrong, form["code"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for answer in answers.values():
        assert answer.status_code == 302 and "/login" in answer.headers["Location"]


def test_a_cookie_older_than_the_renewal_neither_passes_nor_ends_the_grace(liu, app, db_conn):
    older = session_cookie(liu)
    again = app.test_client()  # a new login: the cookie before it is not the renewal's
    again.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(again, "liu.yang")
    form, copied = _paid_with_a_copy_taken(again, app)
    stale = _holding(app, older)
    stale.post(f"/services/pay/{RESIDENT}/authorise", data=form)
    assert not signed_in_with(app, session_cookie(stale))
    assert not AuditEvent.select().where(AuditEvent.action == "session.twin_refused").exists()
    twin = _holding(app, copied)
    assert twin.post(f"/services/pay/{RESIDENT}/authorise", data=form).status_code == 303
    assert signed_in_with(app, session_cookie(twin))


def test_two_simultaneous_submits_of_one_form_pay_once(app, db_conn):
    clients = _two_tabs(app)
    path, key = confirm(clients[0])
    send_code(clients[0], RESIDENT, key, source=path)
    code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
    challenge = CHALLENGE.search(clients[0].get(code_page).get_data(as_text=True)).group(1)
    code = latest_code(app)
    tokens = [csrf_token(client, code_page) for client in clients]

    def submit(index, client):
        return client.post(
            f"/services/pay/{RESIDENT}/authorise",
            data={
                "csrf_token": tokens[index],
                "key": key,
                "base": "",
                "challenge_id": challenge,
                "code": code,
            },
        )

    responses = _at_once(app, clients, submit)
    assert [r.status_code for r in responses] == [303, 303]
    assert responses[0].headers["Location"] == responses[1].headers["Location"]
    assert Payment.select().count() == 1
    assert bound_account().balance_fen == 2_210_000 - 40_000
    assert_books_agree()


def first_look_before_the_twin_paid(monkeypatch):
    """The request's first look for a payment under its key finds none, as if the same form
    sent from another tab paid just after it; later looks find that payment. Returns the list
    of looks made."""
    looked, looks = payments.paid_under, []

    def before_the_twin_paid(*args):
        looks.append(args)
        return None if len(looks) == 1 else looked(*args)

    monkeypatch.setattr(payments, "paid_under", before_the_twin_paid)
    return looks


def test_a_form_whose_twin_paid_while_it_was_checked_shows_the_twins_receipt(
    liu, app, db_conn, monkeypatch
):
    # The twin (the same form from a second tab, or a double tap) pays between this request's
    # look for a payment under its key and its look at the item, which it then finds paid.
    key, code, challenge = code_sent(liu, app)
    twin = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert twin.status_code == 303
    looks = first_look_before_the_twin_paid(monkeypatch)
    answer = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert answer.status_code == 303 and answer.headers["Location"] == twin.headers["Location"]
    receipt = text_of(liu.get(answer.headers["Location"]))
    assert "This payment was already made. Nothing more was taken." in receipt
    assert Payment.select().count() == 1 and len(looks) == 2
    assert not AuditEvent.select().where(AuditEvent.action == "payment.refused").exists()
    assert_books_agree()


def test_a_code_asked_for_while_the_twin_form_paid_shows_the_receipt(
    liu, app, db_conn, monkeypatch
):
    # "Send a new code" in one tab just as the same form is paid in another.
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    twin = authorise(liu, RESIDENT, key, latest_code(app))
    looks = first_look_before_the_twin_paid(monkeypatch)
    answer = send_code(liu, RESIDENT, key, source=path, again="1")
    assert answer.status_code == 303 and answer.headers["Location"] == twin.headers["Location"]
    assert Payment.select().count() == 1 and len(looks) == 2


def test_a_payment_refused_because_its_twin_paid_meanwhile_shows_the_receipt(
    liu, app, db_conn, monkeypatch
):
    # The twin pays while this request checks its code: what this request then finds is the
    # item paid, by that payment.
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    code = latest_code(app)
    real_pay = payments.pay

    def twin_pays_first(*args, **kwargs):
        real_pay(*args, **kwargs)
        raise payments.Refused("paid")

    monkeypatch.setattr(payments, "pay", twin_pays_first)
    answer = authorise(liu, RESIDENT, key, code)
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/services/payments/{Payment.get().receipt_number}"
    assert Payment.select().count() == 1
    assert_books_agree()


def test_two_forms_for_one_item_at_once_pay_it_once(app, db_conn, frozen):
    clients = _two_tabs(app)
    forms = []
    for client in clients:
        path, key = confirm(client)
        send_code(client, RESIDENT, key, source=path)
        code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
        challenge = CHALLENGE.search(client.get(code_page).get_data(as_text=True)).group(1)
        forms.append((key, challenge, latest_code(app), csrf_token(client, code_page)))

    def submit(index, client):
        key, challenge, code, token = forms[index]
        return client.post(
            f"/services/pay/{RESIDENT}/authorise",
            data={"csrf_token": token, "key": key, "challenge_id": challenge, "code": code},
        )

    responses = _at_once(app, clients, submit)
    outcomes = sorted(r.status_code for r in responses)
    assert outcomes == [200, 303]
    refused = next(r for r in responses if r.status_code == 200)
    assert "already paid" in text_of(refused)
    assert Payment.select().count() == 1
    assert bound_account().balance_fen == 2_210_000 - 40_000
    assert_books_agree()


def test_a_balance_too_low_is_refused_before_and_at_payment_and_changes_nothing(liu, app, db_conn):
    account = bound_account()
    Account.update(balance_fen=39_999).where(Account.id == account.id).execute()
    page = text_of(liu.get(f"/services/pay/{RESIDENT}"))
    assert "balance is not enough" in page and "Send the code" not in page
    key = payments.new_key()
    refused = send_code(liu, RESIDENT, key, source="/services/pay")
    assert "balance is not enough" in text_of(refused) and _outbox_size(app) == 0

    # Enough when the code is sent, too little when it is entered (money moved meanwhile).
    Account.update(balance_fen=40_000).where(Account.id == account.id).execute()
    key, code, challenge = code_sent(liu, app)
    Account.update(balance_fen=39_999).where(Account.id == account.id).execute()
    response = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert response.status_code == 200 and "balance is not enough" in text_of(response)
    assert Payment.select().count() == 0 and RegistryPayment.select().count() == 0
    assert Account.get_by_id(account.id).balance_fen == 39_999
    assert not registry.payable_item(account.customer.id_number, RESIDENT).paid

    # Nothing was spent, the code included: after a top-up the same code pays.
    Account.update(balance_fen=40_000).where(Account.id == account.id).execute()
    paid = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert paid.status_code == 303 and Account.get_by_id(account.id).balance_fen == 0
    OPENING[account.number], saved = 40_000, OPENING[account.number]
    try:
        assert_books_agree()
    finally:
        OPENING[account.number] = saved


@pytest.mark.parametrize(
    ("base", "amount"), [("4462", "¥892.40"), ("22,311.00", "¥4,462.20"), ("8000.5", "¥1,600.10")]
)
def test_a_base_inside_the_range_including_its_ends_is_accepted(liu, db_conn, base, amount):
    page = text_of(liu.get(f"/services/pay/{flexible()}?base={base}"))
    assert "Confirm your payment" in page and amount in page


@pytest.mark.parametrize("base", ["4461.99", "22311.01", "0", "abc", "6000.123", "-5000"])
def test_a_base_outside_the_range_or_not_a_number_is_refused(liu, db_conn, base):
    response = liu.get(f"/services/pay/{flexible()}?base={base}")
    page = text_of(response)
    assert "Choose your contribution base" in page and "There is a problem" in page
    assert "Send the code" not in page and 'name="key"' not in response.get_data(as_text=True)


def test_a_base_changed_after_the_confirm_page_is_refused_and_changes_nothing(liu, app, db_conn):
    path, key = confirm(liu, flexible(), "5000")
    assert text_of(send_code(liu, flexible(), key, "22311.01", source=path)).count(
        "outside the allowed range"
    )
    assert _outbox_size(app) == 0
    send_code(liu, flexible(), key, "5000", source=path)
    code_page = f"/services/pay/{flexible()}/authorise?key={key}&base=5000"
    challenge = CHALLENGE.search(liu.get(code_page).get_data(as_text=True)).group(1)
    response = authorise(liu, flexible(), key, latest_code(app), "22311.01", challenge)
    assert "outside the allowed range" in text_of(response)
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    assert_books_agree()


def test_a_code_pays_only_the_amount_its_text_named(liu, app, db_conn):
    path, key = confirm(liu, flexible(), "5000")
    send_code(liu, flexible(), key, "5000", source=path)
    with app.app_context():
        assert "pay ¥1,000.00" in sms.outbox()[0].text
    code_page = f"/services/pay/{flexible()}/authorise?key={key}&base=5000"
    challenge = CHALLENGE.search(liu.get(code_page).get_data(as_text=True)).group(1)
    # A base inside the range, but not the one the code was sent for.
    response = authorise(liu, flexible(), key, latest_code(app), "22311", challenge)
    assert response.status_code == 200
    assert "not right" in text_of(response) and "4 attempts left" in text_of(response)
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    response = authorise(liu, flexible(), key, latest_code(app), "5000", challenge)
    assert response.status_code == 303
    assert Payment.get().amount_fen == 100_000
    assert_books_agree()


def test_a_code_pays_only_the_item_its_text_named(liu, app, db_conn):
    key, code, challenge = code_sent(liu, app, RESIDENT)
    response = authorise(liu, flexible(), key, code, "5000", challenge)
    assert response.status_code == 200 and "not right" in text_of(response)
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    assert authorise(liu, RESIDENT, key, code, challenge=challenge).status_code == 303
    assert [p.item_code for p in Payment.select()] == [RESIDENT]
    assert_books_agree()


def test_paying_the_flexible_pension_at_the_top_base_records_the_months_contribution(
    liu, app, db_conn
):
    key, response = pay(liu, app, flexible(), "22311")
    assert response.status_code == 303
    payment = Payment.get(Payment.idempotency_key == key)
    assert payment.base_fen == 2_231_100 and payment.amount_fen == 446_220
    month = registry.today().replace(day=1)
    row = RegistryContribution.get(RegistryContribution.month == month)
    assert (row.insurance_type, row.base_fen, row.personal_fen, row.paid_by) == (
        "pension",
        2_231_100,
        446_220,
        "self",
    )
    assert "Contribution base" in text_of(liu.get(response.headers["Location"]))
    assert_books_agree()


def test_an_item_outside_its_window_is_refused_and_changes_nothing(liu, app, db_conn):
    closed = f"RM-{int(RESIDENT[3:]) - 1}"
    page = text_of(liu.get(f"/services/pay/{closed}"))
    assert "window for this item has closed" in page and "12333" in page
    assert "window for this item has closed" in text_of(
        send_code(liu, closed, payments.new_key(), source="/services/pay")
    )
    assert _outbox_size(app) == 0

    # The window closes between sending the code and entering it.
    key, code, challenge = code_sent(liu, app)
    yesterday = registry.today() - datetime.timedelta(days=1)
    RegistryPayableItem.update(closes_on=yesterday).where(
        RegistryPayableItem.code == RESIDENT
    ).execute()
    response = authorise(liu, RESIDENT, key, code, challenge=challenge)
    assert "window for this item has closed" in text_of(response)
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    assert_books_agree()


def test_a_code_sent_for_another_purpose_does_not_pay(liu, app, db_conn):
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    account = bound_account()
    with app.test_request_context():
        other = otp.issue(
            customer=account.customer,
            purpose="unbind",
            subject=payments.subject_of(account.customer_id, key),
            mobile=account.reserved_mobile,
            ip="127.0.0.1",
            card_tail="0394",
            account_tail=account.number,
            locale="en",
            host="localhost",
            terms=otp.terms(card="0394", account=account.number),
        )
    response = authorise(liu, RESIDENT, key, latest_code(app), challenge=other.public_id)
    assert response.status_code == 200
    assert "does not belong to this request" in text_of(response)
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    assert_books_agree()


def test_a_wrong_code_is_counted_and_pays_nothing(liu, app, db_conn):
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    right = latest_code(app)
    wrong = "000000" if right != "000000" else "111111"
    response = authorise(liu, RESIDENT, key, wrong)
    assert "not right" in text_of(response) and "4 attempts left" in text_of(response)
    assert Payment.select().count() == 0
    assert authorise(liu, RESIDENT, key, right).status_code == 303
    assert_books_agree()


def test_a_new_code_from_the_code_page_is_said_to_be_sent_and_the_old_one_stops_working(
    liu, app, frozen, db_conn
):
    path, key = confirm(liu)
    send_code(liu, RESIDENT, key, source=path)
    code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
    page = liu.get(code_page).get_data(as_text=True)
    old_code, old_challenge = latest_code(app), CHALLENGE.search(page).group(1)
    assert "We sent a new code" not in page  # the first code: the page says where it went
    frozen.advance(seconds=61)
    # The code page's "Send a new code" carries what it is.
    assert '<input type="hidden" name="again" value="1">' in page
    resent = send_code(liu, RESIDENT, key, source=code_page, again="1")
    page = text_of(liu.get(resent.headers["Location"]))
    assert "We sent a new code. Any earlier code no longer works." in page
    refused = text_of(authorise(liu, RESIDENT, key, old_code, challenge=old_challenge))
    assert "stopped working when we sent a newer one" in refused
    assert Payment.select().count() == 0
    # Pressed again within the minute: the wait is said, not a new code.
    waited = send_code(liu, RESIDENT, key, source=code_page, again="1")
    page = text_of(liu.get(waited.headers["Location"]))
    assert "You can ask for a new code in 60 seconds." in page and "We sent a new" not in page
    # The field says only which button was pressed.
    assert send_code(liu, RESIDENT, key, source=code_page, again="yes").status_code == 400
    assert authorise(liu, RESIDENT, key, latest_code(app)).status_code == 303
    assert Payment.select().count() == 1


def test_after_a_wrong_code_the_address_still_leads_to_the_same_payment(liu, app, db_conn):
    base = "5000"
    path, key = confirm(liu, flexible(), base)
    send_code(liu, flexible(), key, base, source=path)
    code_page = f"/services/pay/{flexible()}/authorise?key={key}&base={base}"
    page = liu.get(code_page).get_data(as_text=True)
    # The form is sent to an address that names the payment, as the page's own does.
    assert f'action="{code_page.replace("&", "&amp;")}"' in page
    challenge = CHALLENGE.search(page).group(1)
    wrong = "000000" if latest_code(app) != "000000" else "111111"
    answer = liu.post(
        code_page,
        data={
            "csrf_token": csrf_token(liu, code_page),
            "key": key,
            "base": base,
            "challenge_id": challenge,
            "code": wrong,
        },
        headers={"HX-Request": "true", "HX-Target": "main"},
    )
    assert "not right" in text_of(answer)
    assert answer.headers["HX-Push-Url"] == code_page
    # Reloaded, or come back to from the SMS app: the same payment, not "Page not found".
    again = liu.get(answer.headers["HX-Push-Url"])
    assert again.status_code == 200 and "Authorise the payment" in text_of(again)
    assert "base ¥5,000.00" in text_of(again) and "Attempts left: 4" in text_of(again)


def test_payments_and_receipts_stay_readable_after_the_card_is_unbound(liu, app, db_conn):
    pay(liu, app)
    number = Payment.get().receipt_number
    Binding.update(status="ended", ended_at=clock.now(), end_reason="other_bank").execute()
    history = text_of(liu.get("/services/payments"))
    assert "No social security card is bound now" in history
    assert f"Receipt {number}" in history
    receipt = liu.get(f"/services/payments/{number}")
    assert receipt.status_code == 200 and number in text_of(receipt)
    # Records and paying still need a bound card.
    assert "Bind your social security card first" in text_of(liu.get("/services/pay"))


def test_a_card_suspended_after_the_code_was_sent_blocks_the_payment(liu, app, db_conn):
    key, code, challenge = code_sent(liu, app)
    report_card("liu.yang", "frozen")
    response = authorise(liu, RESIDENT, key, code, challenge=challenge)
    page = text_of(response)
    assert "Payments are paused" in page and "as frozen" in page
    assert Payment.select().count() == 0 and bound_account().balance_fen == 2_210_000
    assert_books_agree()


def test_another_customers_receipt_payment_or_key_answers_404(client, app, db_conn):
    log_in(client, "liu.yang")
    key, response = pay(client, app)
    receipt_path = response.headers["Location"]
    assert client.get("/services/payments/SSP-2222222222").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    bind_directly("chen.jing")
    log_in(client, "chen.jing")
    assert client.get(receipt_path).status_code == 404
    assert client.get(f"/services/pay/{RESIDENT}/authorise?key={key}").status_code == 404
    assert (
        post_form(
            client,
            f"/services/pay/{RESIDENT}/code",
            {"key": key, "base": ""},
            source=f"/services/pay/{RESIDENT}",
        ).status_code
        == 404
    )
    assert "SSP-" not in text_of(client.get("/services/payments"))
    assert_books_agree()


def test_payment_for_customer_lists_payments_with_masked_accounts(liu, app, db_conn):
    pay(liu, app)
    payments_ = list(Payment.for_customer(bound_account().customer_id))
    assert len(payments_) == 1 and payments_[0].account.masked_number == "****5678"
    assert list(Payment.for_customer(Customer.get(Customer.username == "zhang.wei"))) == []


def test_a_payments_code_is_the_customers_own_whatever_key_the_form_sends(liu, app, db_conn):
    # The key comes from the form: another customer sending the same one must not share the
    # code's counts, its wait or its lock.
    key, _code, _challenge = code_sent(liu, app)
    liu_id = Customer.get(Customer.username == "liu.yang").id
    assert [c.subject for c in Challenge.select()] == [f"payment:{liu_id}:{key}"]


def test_a_locked_payment_is_named_on_the_agent_record_and_its_unlock_keeps_the_subject(
    app, liu, db_conn
):
    key, _code, _challenge = code_sent(liu, app)
    liu_id = Customer.get(Customer.username == "liu.yang").id
    subject = payments.subject_of(liu_id, key)
    with app.app_context():
        row = VerificationSubject.get(VerificationSubject.subject == subject)
        row.lock("wrong_entries", clock.now() + otp.LOCK_FOR, clock.now())
    agent = app.test_client()
    agent.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    assert agent_log_in(agent).status_code == 303
    locks = open_record(agent, liu_id).get_data(as_text=True).split('class="agent-locks"')[1]
    assert "缴费 ·" in locks.split("</ul>")[0] and "payment ·" not in locks.split("</ul>")[0]
    with app.app_context():
        otp.unlock(subject=subject, agent=Agent.get(Agent.username == "agent.li"), reason="call")
    event = AuditEvent.get(AuditEvent.action == "otp.unlocked")
    assert event.subject == subject[:40] and event.details["whole_subject"] == subject


def test_both_taps_of_a_double_tap_let_in_at_once_end_in_the_renewed_session(app, db_conn):
    clients = _two_tabs(app)
    key, code, challenge = code_sent(clients[0], app)
    code_page = f"/services/pay/{RESIDENT}/authorise?key={key}"
    token = csrf_token(clients[0], code_page)
    form = {"csrf_token": token, "key": key, "base": "", "challenge_id": challenge, "code": code}
    clients[1].set_cookie("ssb_session", session_cookie(clients[0]))

    def submit(_index, client):
        return client.post(f"/services/pay/{RESIDENT}/authorise", data=form)

    answers = _at_once(app, clients, submit)
    assert [answer.status_code for answer in answers] == [303, 303]
    # Whichever answer a browser keeps, its cookie is the renewed session's.
    for client in clients:
        assert signed_in_with(app, session_cookie(client))
    assert Payment.select().count() == 1
