"""Step 5 and after: the code completes the binding; unbind and change of account (SPEC 2.3–2.5)."""

import datetime
import logging
import re
import threading

import pytest

from tests import wizard
from tests.conftest import csrf_token, log_in, post_form
from tests.test_services import QueryCounter, bind_directly, report_card, text_of
from tests.verification import (
    assert_new_session,
    challenge_on,
    enter_code,
    latest_code,
    send_codes_to,
    session_cookie,
    signed_in_with,
)
from webapp import binding, completion, otp, signatures
from webapp.extensions import db
from webapp.models import (
    Account,
    Application,
    AuditEvent,
    Binding,
    Challenge,
    Customer,
    SignatureRecord,
    SmsMessage,
)

pytestmark = pytest.mark.database


def _awaiting(client, username="zhang.wei"):
    reference = wizard.through_check(client, username)
    response = wizard.submit(client, reference)
    assert response.headers["Location"].endswith(f"/bind/{reference}/verify")
    return reference, f"/bind/{reference}/verify"


def test_the_code_page_says_where_the_code_went(customer, app):
    reference, path = _awaiting(customer)
    page = customer.get(path).get_data(as_text=True)
    assert "Step 5 of 5" in page
    assert "138****8000" in page and "13800138000" not in page
    assert "Attempts left: 5." in page and "valid until" in page
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert "Not received a code?" in page
    assert 'You can ask for a new code in <span data-seconds="">60</span> seconds.' in page
    assert "code to bind social security card ****2876 to account ****2345" in _outbox_text(app)
    # In Chinese the two sentences follow each other with no space between.
    chinese = customer.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert re.search(r"验证码在 \S+ 前有效。还可尝试 5 次。", chinese)


def test_the_right_code_binds_the_card_and_seals_the_signature(customer, app, frozen, db_conn):
    reference, path = _awaiting(customer)
    assert "Example Bank: " in _outbox_text(app)
    before = session_cookie(customer)
    response = enter_code(customer, path, latest_code(app))
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")
    assert_new_session(app, customer, before)

    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your card is bound" in page and reference in page
    assert 'href="/services"' in page
    assert "****2876" in page and "****2345" in page

    application = Application.get(Application.reference == reference)
    active = Binding.active_for(application.customer)
    assert application.status == "bound" and active.account_id == application.account_id
    record = SignatureRecord.of(application)
    assert record.agreement_sha256 == application.agreement_sha256
    assert record.masked_card == "****2876" and record.masked_account == "****2345"
    with app.app_context():
        assert signatures.intact(record)
    notice = SmsMessage.select().where(SmsMessage.kind == "notice").get()
    assert notice.customer_id == application.customer_id
    assert re.match(
        r"Example Bank: Social security card \*{4}2876 was bound to account \*{4}2345 at \d\d:\d\d\.",
        _outbox_text(app),
    )
    assert "Bound to account ****2345" in customer.get("/dashboard").get_data(as_text=True)
    assert "Unchanged since signing" in customer.get(f"/binding/agreement/{reference}").get_data(
        as_text=True
    )
    # Read in Chinese, the copy says it was signed in English (the text below it is English).
    chinese = customer.get(
        f"/binding/agreement/{reference}", headers={"Accept-Language": "zh-CN"}
    ).get_data(as_text=True)
    assert '<dt>签署语言</dt><dd><span lang="en">English</span></dd>' in chinese


def _outbox_text(app):
    from webapp import sms

    with app.app_context():
        return sms.outbox()[0].text


def test_a_wrong_code_then_the_right_one(customer, app, db_conn):
    reference, path = _awaiting(customer)
    challenge = challenge_on(customer, path)
    page = enter_code(customer, path, "000000", challenge).get_data(as_text=True)
    assert "That code is not right. You have 4 attempts left" in page
    assert "There is a problem" in page
    for _ in range(3):
        page = enter_code(customer, path, "000000", challenge).get_data(as_text=True)
    assert "You have 1 attempt left with this code." in page
    assert Application.get(Application.reference == reference).status == "awaiting_verification"
    assert enter_code(customer, path, latest_code(app), challenge).status_code == 303


def test_the_fifth_wrong_entry_says_the_code_was_entered_wrongly_5_times(customer, app, db_conn):
    _reference, path = _awaiting(customer)
    challenge, right = challenge_on(customer, path), latest_code(app)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        page = text_of(enter_code(customer, path, wrong, challenge))
    message = "That code was entered wrongly 5 times, so it no longer works. Ask for a new code."
    assert message in page
    assert message in text_of(enter_code(customer, path, right, challenge))


def test_a_code_that_is_not_six_digits_is_refused_without_using_an_attempt(customer, app):
    _reference, path = _awaiting(customer)
    page = enter_code(customer, path, "12ab").get_data(as_text=True)
    assert "Enter the 6-digit code from the text message" in page
    assert "Attempts left: 5." in customer.get(path).get_data(as_text=True)


def test_resend_waits_sixty_seconds_and_kills_the_old_code(customer, app, frozen, db_conn):
    _reference, path = _awaiting(customer)
    old_code, old_challenge = latest_code(app), challenge_on(customer, path)
    frozen.advance(seconds=59)
    response = post_form(customer, f"{path}/resend", {}, source=path)
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    # The press is answered, and the page's countdown says the wait, once.
    assert "We can send a new code only when the countdown below ends." in page
    assert page.count(">You can ask for a new code in") == 1
    assert 'You can ask for a new code in <span data-seconds="">1</span> second.' in page
    frozen.advance(seconds=1)
    response = post_form(customer, f"{path}/resend", {}, source=path)
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert "We sent a new code. Any earlier code no longer works." in page
    assert len(challenge_on(customer, path)) and challenge_on(customer, path) != old_challenge
    page = enter_code(customer, path, old_code, old_challenge).get_data(as_text=True)
    assert (
        "That code stopped working when we sent a newer one. Enter the code from the newest "
        "message, or ask for a new code." in page
    )


def test_a_code_from_the_text_before_a_resend_is_named_as_such_and_uses_no_attempt(
    customer, app, frozen, db_conn, monkeypatch
):
    codes = iter([123456, 654321])  # two codes that differ (random ones might not)
    monkeypatch.setattr(otp.secrets, "randbelow", lambda _n: next(codes))
    _reference, path = _awaiting(customer)
    old_code = latest_code(app)
    frozen.advance(seconds=60)
    post_form(customer, f"{path}/resend", {}, source=path)
    new_code = latest_code(app)
    assert (old_code, new_code) == ("123456", "654321")
    # Typed from the first text, on the page of the second code.
    page = enter_code(customer, path, old_code).get_data(as_text=True)
    assert (
        "That code is from an earlier text message: it stopped working when we sent a newer one. "
        "Enter the code from the newest message." in page
    )
    assert "Attempts left: 5." in customer.get(path).get_data(as_text=True)
    events = AuditEvent.select().where(AuditEvent.action == "otp.checked")
    assert [e.outcome for e in events] == ["earlier"]
    assert Challenge.get(Challenge.status == Challenge.ACTIVE).attempts == 0
    response = enter_code(customer, path, new_code)
    assert response.status_code == 303 and response.headers["Location"].endswith("/done")


def test_an_expired_code_is_refused(customer, app, frozen):
    _reference, path = _awaiting(customer)
    challenge, code = challenge_on(customer, path), latest_code(app)
    frozen.advance(minutes=5)
    page = enter_code(customer, path, code, challenge).get_data(as_text=True)
    # With codes left to ask for, the message says to ask for one.
    assert "That code has expired: codes are valid for 5 minutes. Ask for a new code." in page


def test_ten_wrong_entries_lock_verification(customer, app, frozen, db_conn):
    reference, path = _awaiting(customer)
    for attempt in range(10):
        if attempt == 5:
            frozen.advance(seconds=61)
            post_form(customer, f"{path}/resend", {}, source=path)
        answer = enter_code(customer, path, "000000")
    # Said once, as an alert: not as "a problem" in the form, which has nothing to put right.
    html = answer.get_data(as_text=True)
    assert "data-error-summary" not in html and 'name="code"' not in html
    notice = html.split('<div class="notice notice--error" role="alert">')[1].split("</div>")[0]
    assert "Verification is locked until" in notice
    assert html.count("Verification is locked until") == 1
    page = customer.get(path).get_data(as_text=True)
    assert page.count("Verification is locked until") == 1
    # A code form still open from before the lock, sent empty: the lock is still said.
    page = text_of(post_form(customer, path, {"challenge_id": "x", "code": ""}))
    assert "Enter the 6-digit code" in page and "Verification is locked until" in page
    assert 'name="code"' not in page
    assert Application.get(Application.reference == reference).status == "awaiting_verification"


def test_the_code_page_warns_before_wrong_codes_or_new_codes_lock_verification(
    customer, app, frozen, db_conn
):
    _reference, path = _awaiting(customer)
    for _ in range(5):
        enter_code(customer, path, "000000")
    frozen.advance(seconds=61)
    post_form(customer, f"{path}/resend", {}, source=path)
    page = customer.get(path).get_data(as_text=True)
    assert "Attempts left before verification locks for 30 minutes: 5." in page
    page = enter_code(customer, path, "000000").get_data(as_text=True)
    assert "You have 4 attempts left before verification locks for 30 minutes." in page
    assert "more code" not in page  # three codes are left: no need to count them yet
    for left in ("2 more codes", "1 more code."):
        frozen.advance(seconds=61)
        post_form(customer, f"{path}/resend", {}, source=path)
        assert f"You can ask for {left}" in customer.get(path).get_data(as_text=True)
    frozen.advance(seconds=61)
    post_form(customer, f"{path}/resend", {}, source=path)
    page = customer.get(path).get_data(as_text=True)
    assert (
        "This is the last of the 5 codes you can ask for. If it does not work, verification "
        "locks for 30 minutes; after that you can ask again." in page
    )
    assert "Send a new code" not in page
    assert "Attempts left before verification locks for 30 minutes: 4." in page
    chinese = customer.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "这是最后一个可获取的验证码" in chinese
    assert "还可尝试 4 次，再错验证将锁定 30 分钟。" in chinese
    # Once it has expired, asking for another is offered, and says what it does; the page does
    # not also tell the customer to ask for one.
    last_challenge, last_code = challenge_on(customer, path), latest_code(app)
    frozen.advance(minutes=5)
    for page in (
        customer.get(path).get_data(as_text=True),
        enter_code(customer, path, last_code, last_challenge).get_data(as_text=True),
    ):
        assert (
            "You have had all 5 codes. Asking for another locks verification for 30 minutes; "
            "after that you can ask again." in page
        )
        assert "Send a new code" in page
        assert "There is no valid code at the moment." in page
        assert "Ask for a new code" not in page
    summary = page.split("data-error-summary>")[1].split("</div>")[0]
    assert "That code has expired: codes are valid for 5 minutes." in summary


def test_a_mobile_number_that_had_its_codes_for_the_day_says_so_before_any_press(
    customer, app, frozen, db_conn
):
    reference, path = _awaiting(customer)
    challenge, code = challenge_on(customer, path), latest_code(app)
    mobile = Application.get(Application.reference == reference).account.reserved_mobile
    send_codes_to(app, mobile, 9)  # 10 in all today, the number's daily limit
    held = (
        "This mobile number has had all the codes it can get in 24 hours. You can ask for another code "
        "after"
    )
    # Asked for again within the 60 seconds (a resubmitted step, say): the limit is what is
    # said, once, not the seconds to wait.
    post_form(customer, f"{path}/resend", {}, source=path)
    page = customer.get(path).get_data(as_text=True)
    assert page.count(held) == 1 and "seconds" not in page
    frozen.advance(seconds=61)
    page = customer.get(path).get_data(as_text=True)
    assert held in page and "Send a new code" not in page
    assert 'name="code"' in page  # the code already sent still works
    assert "ask for a new code" not in page.lower() and "ask for up to" not in page
    chinese = customer.get(path, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "该手机号 24 小时内可接收的验证码已达上限" in chinese and "重新获取" not in chinese
    # Once that code has expired, neither the page nor the code's message asks for a new one.
    frozen.advance(minutes=5)
    for page in (
        customer.get(path).get_data(as_text=True),
        enter_code(customer, path, code, challenge).get_data(as_text=True),
    ):
        assert held in page and "Send a new code" not in page
        assert "There is no valid code at the moment." in page
        assert "ask for a new code" not in page.lower()
    assert "That code has expired: codes are valid for 5 minutes." in page
    # A day after the first of them, a new code may be asked for again.
    frozen.advance(hours=24)
    log_in(customer)  # the session has ended by then
    page = customer.get(path).get_data(as_text=True)
    assert held not in page and "Send a new code" in page
    assert "Ask for a new code to be sent to 138****8000." in page


def test_a_provider_failure_keeps_the_application_and_says_try_again(
    customer, fake_twilio, db_conn
):
    fake_twilio.fail_with("invalid_number")
    reference, path = _awaiting(customer)
    page = customer.get(path).get_data(as_text=True)
    assert "We could not send the code" in page
    assert Application.get(Application.reference == reference).status == "awaiting_verification"
    failed = SmsMessage.get()
    assert failed.status == "failed" and failed.error_code == "21211"
    assert len(fake_twilio.requests) == 1
    event = AuditEvent.get(AuditEvent.action == "otp.send_failed")
    assert event.details["error_code"] == "21211"


def test_the_pages_before_a_code_page_say_when_the_mobile_number_has_had_its_codes(
    client, app, frozen, db_conn, monkeypatch
):
    frozen.at = datetime.datetime(2026, 3, 2, 1, 0, 30)  # 09:00:30 in China
    log_in(client, "zhang.wei")
    reference = wizard.through_check(client, "zhang.wei")
    check = f"/bind/{reference}/check"
    page = client.get(check).get_data(as_text=True)
    assert "we cannot send it another" not in page and "Codes go to 138****8000" in page
    mobile = Application.get(Application.reference == reference).account.reserved_mobile
    send_codes_to(app, mobile, 10)
    # Step 4 says it above "Agree and submit", which it names; until is 24 hours after the
    # first of the ten codes, to the minute and rounded up, on the next day.
    held = (
        "A mobile number may get at most 10 codes in 24 hours and 138****8000 has had them, so we "
        "cannot send it another until Mar 3, 2026, 9:01\u202fAM. You can continue now and ask for "
        "the code then."
    )
    counter = QueryCounter(monkeypatch)
    page = client.get(check).get_data(as_text=True)
    assert counter.count <= 8, counter.count
    assert held in page and page.index(held) < page.index("Agree and submit")
    assert '<button class="button" type="submit" aria-describedby="held-notice">' in page
    fragment = client.get(check, headers={"HX-Request": "true", "HX-Target": "main"})
    assert held in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(
        as_text=True
    )
    refused = wizard.submit(client, reference, consent=None).get_data(as_text=True)
    assert "Tick to agree to the processing of your sensitive personal information" in refused
    assert held in refused  # a form sent back with an error still says it
    chinese = client.get(check, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert (
        "每个手机号 24 小时内最多可接收 10 条验证码，手机号 138****8000 已达上限，"
        "2026年3月3日 09:01 前无法再向其发送。" in chinese
    )
    # Going on anyway: the code page says the limit in place of "Send a new code".
    code_page = client.get(wizard.submit(client, reference).headers["Location"])
    code_page = code_page.get_data(as_text=True)
    assert "This mobile number has had all the codes it can get in 24 hours" in code_page
    assert "Send a new code" not in code_page and 'name="code"' not in code_page

    # The unbind page says it in place of "we will text a code", before its button.
    post_form(client, "/logout", {}, source="/dashboard")
    log_in(client, "liu.yang")
    page = client.get("/binding/unbind").get_data(as_text=True)
    assert "We will text a code to 186****2222" in page and "we cannot send it another" not in page
    assert ">Send the code</button>" in page
    active = Binding.get(
        Binding.status == Binding.ACTIVE,
        Binding.customer == Customer.get(Customer.username == "liu.yang"),
    )
    send_codes_to(app, active.account.reserved_mobile, 10)
    page = client.get("/binding/unbind").get_data(as_text=True)
    held = "186****2222 has had them, so we cannot send it another until Mar 3, 2026, 9:01\u202fAM"
    assert held in page and "We will text a code" not in page
    assert page.index(held) < page.index('aria-describedby="held-notice">Continue</button>')


def test_the_pages_before_a_code_page_say_when_verification_is_locked(
    customer, app, frozen, db_conn
):
    frozen.at = datetime.datetime(2026, 3, 2, 1, 0, 30)  # 09:00:30 in China
    reference, path = _awaiting(customer)
    for attempt in range(10):
        if attempt == 5:
            frozen.advance(seconds=61)
            post_form(customer, f"{path}/resend", {}, source=path)
        enter_code(customer, path, "000000")
    post_form(customer, f"/bind/{reference}/cancel", {}, source=f"/bind/{reference}/cancel")
    # A new application: the lock holds for the customer, and step 4 says so before submit.
    fresh = wizard.through_check(customer)
    page = text_of(customer.get(f"/bind/{fresh}/check"))
    locked = (
        "Verification is locked until 9:32 AM after too many attempts, so we cannot send a "
        "code before then. You can continue now and ask for the code then."
    )
    assert locked in page and page.index(locked) < page.index("Agree and submit")
    frozen.advance(minutes=31)
    assert "Verification is locked" not in text_of(customer.get(f"/bind/{fresh}/check"))


def test_a_double_tap_on_the_button_that_sends_the_first_code_sends_one_and_says_nothing_of_a_wait(
    client, app, db_conn
):
    log_in(client, "liu.yang")
    token = csrf_token(client, "/binding/unbind")
    for _ in range(2):
        response = client.post("/binding/unbind", data={"csrf_token": token, "reason": "other"})
    page = text_of(client.get(response.headers["Location"]))
    assert "We sent a text message with a 6-digit code" in page
    assert "We can send a new code only when" not in page
    assert SmsMessage.select().where(SmsMessage.kind == "code").count() == 1


def test_a_code_sent_for_unbinding_does_not_bind(client, app, db_conn):
    log_in(client, "liu.yang")
    post_form(client, "/binding/unbind", {"reason": "other"})
    unbind_challenge = challenge_on(client, "/binding/unbind/verify")
    unbind_code = latest_code(app)
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(other)
    _reference, path = _awaiting(other)
    page = enter_code(other, path, unbind_code, unbind_challenge).get_data(as_text=True)
    assert "That code does not belong to this request" in page


def test_unbind_with_a_code_ends_the_binding(client, app, frozen, db_conn):
    log_in(client, "liu.yang")
    page = client.get("/binding").get_data(as_text=True)
    assert "Unbind my card" in page and "Change the bound account" in page
    response = post_form(client, "/binding/unbind", {"reason": "other_bank"})
    assert response.headers["Location"].endswith("/binding/unbind/verify")
    assert "code to unbind social security card ****0394" in _outbox_text(app)
    # The code page has a way out that leaves the binding as it is.
    code_page = client.get("/binding/unbind/verify").get_data(as_text=True)
    assert '<a class="link" href="/binding" hx-boost="false">‹ Keep my binding</a>' in code_page
    # A new code is said to be sent, as the wizard says it.
    frozen.advance(seconds=61)
    post_form(client, "/binding/unbind/verify/resend", {}, source="/binding/unbind/verify")
    code_page = client.get("/binding/unbind/verify").get_data(as_text=True)
    assert "We sent a new code. Any earlier code no longer works." in code_page
    before = session_cookie(client)
    response = enter_code(client, "/binding/unbind/verify", latest_code(app))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is no longer bound" in page and "Not bound" in page
    # The code started a new session: a copy of the cookie from before it soon stops working.
    assert_new_session(app, client, before)
    # The application that bound the card is completed; the binding it made has ended.
    assert re.search(r'<span class="tag">Completed</span>', page) and "Binding ended" in page
    ended = Binding.get()
    assert ended.status == "ended" and ended.end_reason == "other_bank"
    assert re.match(r"Example Bank: Social security card \S+ was unbound from", _outbox_text(app))


def test_change_of_account_moves_the_binding_in_one_step(client, app, db_conn):
    log_in(client, "liu.yang")
    old = Binding.get(Binding.status == "active")
    response = post_form(client, "/binding/change", {}, source="/binding")
    reference = response.headers["Location"].split("/")[2]
    offered = wizard.eligible_account_ids(client, reference)
    new_account = next(a for a in offered if int(a) != old.account_id)
    wizard.choose_account(client, reference, new_account)
    response = wizard.submit(client, reference)
    assert response.headers["Location"].endswith("/verify")
    assert "code to move social security card ****0394" in _outbox_text(app)
    done = enter_code(client, f"/bind/{reference}/verify", latest_code(app))
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "<h1>Your card is now bound to the new account</h1>" in page
    assert "Your card is bound<" not in page
    bindings = list(Binding.select().order_by(Binding.id))
    assert [b.status for b in bindings] == ["ended", "active"]
    assert bindings[0].end_reason == "changed_account"
    assert bindings[1].account_id == int(new_account)
    assert bindings[1].card_number == old.card_number
    page = client.get("/binding").get_data(as_text=True)
    assert page.count("Card ****0394 → ") == 2 and "Binding ended" in page and "Active" in page


def test_unbinding_cancels_a_move_of_the_binding_still_waiting_for_its_code(
    client, app, frozen, db_conn
):
    log_in(client, "liu.yang")
    old = Binding.get(Binding.status == "active")
    response = post_form(client, "/binding/change", {}, source="/binding")
    reference = response.headers["Location"].split("/")[2]
    offered = wizard.eligible_account_ids(client, reference)
    wizard.choose_account(client, reference, next(a for a in offered if int(a) != old.account_id))
    wizard.submit(client, reference)
    move_code, move_challenge = latest_code(app), challenge_on(client, f"/bind/{reference}/verify")
    frozen.advance(seconds=61)
    post_form(client, "/binding/unbind", {"reason": "other_bank"})
    enter_code(client, "/binding/unbind/verify", latest_code(app))
    assert Binding.get_by_id(old.id).status == "ended"
    move = Application.get(Application.reference == reference)
    assert move.status == "cancelled"
    # Its code no longer works, and entering it is answered, not a server error.
    answer = client.post(
        f"/bind/{reference}/verify",
        data={
            "csrf_token": csrf_token(client, "/binding"),
            "code": move_code,
            "challenge_id": move_challenge,
        },
    )
    assert answer.status_code in (200, 303)
    assert Binding.select().where(Binding.status == "active").count() == 0
    event = AuditEvent.get(AuditEvent.action == "application.cancelled")
    assert (event.subject, event.details["reason"]) == (reference, "binding_ended")


def test_changing_to_the_same_account_is_refused(client, app, db_conn):
    log_in(client, "liu.yang")
    current = Binding.get(Binding.status == "active")
    response = post_form(client, "/binding/change", {}, source="/binding")
    reference = response.headers["Location"].split("/")[2]
    step = client.get(f"/bind/{reference}/account").get_data(as_text=True)
    # The account the card is bound to now is shown, and cannot be chosen.
    assert re.search(rf'value="{current.account_id}" disabled>', step)
    assert "Your card is bound to this account now" in step
    # Chosen anyway (a form sent by hand), it is refused at this step.
    page = wizard.choose_account(client, reference, current.account_id).get_data(as_text=True)
    assert "Your card is already bound to this account" in page
    assert Application.get(Application.reference == reference).account is None
    assert Binding.get(Binding.status == "active").id == current.id


def test_verify_signatures_reports_tampering(app, db_conn):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["verify-signatures"])
    assert result.exit_code == 0 and "All 1 signature records are intact." in result.output
    SignatureRecord.update(masked_account="****9999").execute()
    result = runner.invoke(args=["verify-signatures"])
    assert result.exit_code != 0 and "TAMPERED: signature record" in result.output
    # A seal overwritten with text that is not ASCII is reported like any change.
    SignatureRecord.update(seal="ü").execute()
    result = runner.invoke(args=["verify-signatures"])
    assert result.exit_code == 1 and "TAMPERED: signature record" in result.output
    assert "1 of 1 signature records fail their seal." in result.output


def test_the_same_code_submitted_twice_at_once_binds_once(customer, app, db_conn):
    reference, path = _awaiting(customer)
    challenge, code = challenge_on(customer, path), latest_code(app)
    application_id = Application.get(Application.reference == reference).id
    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            with app.test_request_context():
                application = Application.get_by_id(application_id)
                barrier.wait()
                try:
                    result, _created = completion.verify_application(
                        application,
                        challenge_id=challenge,
                        code=code,
                        ip="127.0.0.1",
                        user_agent="test",
                    )
                    outcomes.append(result.outcome)
                except Exception as exc:  # noqa: BLE001 - the race's loser may see a stale state
                    outcomes.append(type(exc).__name__)
        finally:
            db.database.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert Binding.select().where(Binding.status == "active").count() == 2  # + liu.yang's
    assert SignatureRecord.select().count() == 2


def test_a_whole_journey_logs_no_code_and_no_full_identifier(customer, app, db_conn, caplog):
    caplog.set_level(logging.INFO)
    for name in ("webapp", "werkzeug", "webapp.sms"):
        logging.getLogger(name).addHandler(caplog.handler)
    try:
        reference, path = _awaiting(customer)
        code = latest_code(app)
        enter_code(customer, path, "111111")
        enter_code(customer, path, code)
    finally:
        for name in ("webapp", "werkzeug", "webapp.sms"):
            logging.getLogger(name).removeHandler(caplog.handler)
    zhang = Customer.get(Customer.username == "zhang.wei")
    account = Account.of(zhang).first()
    secrets_ = [
        code,
        zhang.id_number,
        account.number,
        account.reserved_mobile,
        "13800138000",
        "M31452876",
    ]
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("webapp.sms.console")]
    events = [e.detail + e.subject for e in AuditEvent.select()]
    for secret in secrets_:
        assert not any(secret in line for line in lines), secret
        assert not any(secret in event for event in events), secret


def test_a_time_to_try_again_on_a_later_day_names_the_day(app, frozen):
    from webapp.views import codes

    frozen.at = datetime.datetime(2026, 3, 2, 15, 0)  # 23:00 in China
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert codes.retry_time(frozen.at + datetime.timedelta(minutes=30)) == "11:30\u202fPM"
        assert codes.retry_time(frozen.at + datetime.timedelta(minutes=90)) == (
            "Mar 3, 2026, 12:30\u202fAM"
        )
        # A moment within a minute is given as the minute after it: trying then works.
        later = frozen.at + datetime.timedelta(minutes=30, seconds=1)
        assert codes.retry_time(later) == "11:31\u202fPM"
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert codes.retry_time(frozen.at + datetime.timedelta(hours=2)) == "2026年3月3日 01:00"


def test_each_code_page_takes_at_most_eight_queries(client, app, db_conn, monkeypatch):
    log_in(client)
    _reference, bind_path = _awaiting(client)
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(other, "liu.yang")
    post_form(other, "/binding/unbind", {"reason": "other"})
    for who, path in ((client, bind_path), (other, "/binding/unbind/verify")):
        counter = QueryCounter(monkeypatch)
        page = who.get(path).get_data(as_text=True)
        assert 'name="code"' in page and "Send a new code" in page
        assert counter.count <= 8, (path, counter.count)


def test_a_code_sent_before_an_answer_changed_does_not_verify_the_new_answers(
    customer, app, db_conn
):
    zhang = Customer.get(Customer.username == "zhang.wei")
    other = _debit_account(zhang, "6222021001000099999", "+8613900001111")
    reference, path = _awaiting(customer)
    first_code, first_challenge = latest_code(app), challenge_on(customer, path)
    response = post_form(customer, f"{path}/change", {}, source=path)
    assert response.headers["Location"].endswith(f"/bind/{reference}/check")
    assert Challenge.get(Challenge.public_id == first_challenge).status == "dead"
    wizard.choose_account(customer, reference, str(other.id))
    # Submitted again within a minute of the first code: no new one may go yet.
    response = wizard.submit(customer, reference)
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "When the countdown below ends, ask for a new code to be sent to 139****1111."
        in " ".join(page.split())
    )
    assert "You can ask for a new code in" in page
    page = enter_code(customer, path, first_code, first_challenge).get_data(as_text=True)
    assert "That code no longer works. Ask for a new code." in page
    assert Binding.select().where(Binding.customer == zhang).count() == 0


def test_a_card_reported_lost_after_the_code_was_sent_is_refused_when_the_code_comes_in(
    customer, app, frozen, db_conn
):
    reference, path = _awaiting(customer)
    code = latest_code(app)
    report_card("zhang.wei", "lost")
    response = enter_code(customer, path, code)
    assert response.headers["Location"].endswith(f"/bind/{reference}/check")
    page = text_of(customer.get(response.headers["Location"]))
    assert "Your card is reported lost." in page and "Step 4 of 5" in page
    application = Application.get(Application.reference == reference)
    assert (application.status, application.failure) == ("draft", "card_lost")
    zhang = Customer.get(Customer.username == "zhang.wei")
    assert Binding.select().where(Binding.customer == zhang).count() == 0
    event = AuditEvent.get(AuditEvent.action == "application.refused_at_verification")
    assert event.details == {"check": "card_lost"}
    # Found again, the card binds from Check your answers with a new code.
    report_card("zhang.wei", "active")
    frozen.advance(seconds=60)
    assert wizard.submit(customer, reference).headers["Location"].endswith(path)
    assert enter_code(customer, path, latest_code(app)).headers["Location"].endswith("/done")


def _second_profile_of(username):
    """Another online-banking profile of the same person (same name and ID number), with an
    account of its own; returns its username."""
    person = Customer.get(Customer.username == username)
    twin = Customer.create(
        username=f"{username}.2",
        password_hash=person.password_hash,
        name=person.name,
        id_number=person.id_number,
    )
    _debit_account(twin, "6222021001000077777", "+8613900002222")
    return twin.username


def _debit_account(customer, number, mobile):
    """A new active CNY debit account of the customer's that can take a binding."""
    return Account.create(
        customer=customer,
        number=number,
        kind="debit",
        currency="CNY",
        status="active",
        balance_fen=100,
        reserved_mobile=mobile,
    )


def _both_profiles_awaiting_their_codes(app):
    """zhang.wei and a second profile of hers, each with an application for the same card
    awaiting its code; returns (first, second), each (client, reference, path, code)."""
    awaiting = []
    for username in ("zhang.wei", _second_profile_of("zhang.wei")):
        browser = app.test_client()
        browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        assert log_in(browser, username).status_code == 303
        reference, path = _awaiting(browser, "zhang.wei")
        awaiting.append((browser, reference, path, latest_code(app)))
    return awaiting


def test_a_card_bound_from_another_profile_meanwhile_is_refused_when_the_code_comes_in(
    app, db_conn
):
    first, second = _both_profiles_awaiting_their_codes(app)
    first, first_reference, first_path, first_code = first
    second, second_reference, second_path, second_code = second
    assert enter_code(first, first_path, first_code).headers["Location"].endswith("/done")
    response = enter_code(second, second_path, second_code)
    assert response.headers["Location"].endswith(f"/bind/{second_reference}/check")
    page = text_of(second.get(response.headers["Location"]))
    assert "already bound in another online-banking profile" in page
    application = Application.get(Application.reference == second_reference)
    assert (application.status, application.failure) == ("draft", "bound_elsewhere")
    card_number = wizard.persona("zhang.wei")[2]
    assert Binding.active_for_card(card_number).application.reference == first_reference


def test_a_card_bound_from_another_profile_at_the_same_moment_is_refused_not_an_error(
    app, db_conn, monkeypatch
):
    first, second = _both_profiles_awaiting_their_codes(app)
    first, _first_reference, first_path, first_code = first
    second, second_reference, second_path, second_code = second
    assert enter_code(first, first_path, first_code).headers["Location"].endswith("/done")
    # The other profile's binding commits just after this request's checks looked.
    checks, looks = binding.run_checks, []

    def before_the_other_bound(application):
        looks.append(application.reference)
        return None if len(looks) == 1 else checks(application)

    monkeypatch.setattr(binding, "run_checks", before_the_other_bound)
    response = enter_code(second, second_path, second_code)
    assert len(looks) == 2 and response.status_code == 303
    application = Application.get(Application.reference == second_reference)
    assert (application.status, application.failure) == ("draft", "bound_elsewhere")
    assert Binding.select().where(Binding.status == "active").count() == 2  # + liu.yang's


def test_a_submit_whose_twin_went_first_shows_where_the_application_stands(
    customer, app, db_conn, monkeypatch
):
    reference = wizard.through_check(customer)
    checks = binding.run_checks

    def twin_submits_first(application):
        # The same form, sent again (a double tap), is submitted while this one is checked.
        Application.update(status="awaiting_verification", step=5).where(
            Application.id == application.id
        ).execute()
        return checks(application)

    monkeypatch.setattr(binding, "run_checks", twin_submits_first)
    response = wizard.submit(customer, reference)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bind/{reference}/verify")
    page = text_of(customer.get(response.headers["Location"]))
    assert "This application changed in another tab or window." in page
    assert "Step 5 of 5" in page


def test_an_unbind_code_entered_as_an_agent_unbinds_shows_the_binding_as_it_stands(
    client, app, db_conn, monkeypatch
):
    log_in(client, "liu.yang")
    post_form(client, "/binding/unbind", {"reason": "other_bank"})
    look_up = Binding.active_for

    def agent_unbinds_just_after(customer):
        # An agent unbinds the card (at the customer's request by phone) as the code goes in.
        active = look_up(customer)
        if active is not None:
            Binding.update(status="ended", end_reason="agent").where(
                Binding.id == active.id
            ).execute()
        return active

    path = "/binding/unbind/verify"
    form = {"csrf_token": csrf_token(client, path), "challenge_id": challenge_on(client, path)}
    monkeypatch.setattr(Binding, "active_for", agent_unbinds_just_after)
    response = client.post(path, data={**form, "code": latest_code(app)})
    monkeypatch.setattr(Binding, "active_for", look_up)
    assert response.status_code == 303 and response.headers["Location"].endswith("/binding")
    page = text_of(client.get("/binding"))
    assert "Your binding changed in another tab or window." in page and "Not bound" in page
    assert Binding.get().end_reason == "agent"


def test_changing_the_account_with_no_other_account_that_could_take_it_says_so_first(
    client, app, db_conn
):
    bind_directly("chen.jing")  # to ****6789; the others are frozen, in USD, or a credit card
    log_in(client, "chen.jing")
    response = post_form(client, "/binding/change", {}, source="/binding")
    assert response.headers["Location"].endswith("/binding")
    page = text_of(client.get("/binding"))
    assert "None of your other accounts can take the binding" in page
    chen = Customer.get(Customer.username == "chen.jing")
    assert Application.open_for(chen) is None
    # With an account that could take it, the change starts at the account step.
    frozen = next(a for a in Account.of(chen) if a.status == "frozen")
    Account.update(status="active").where(Account.id == frozen.id).execute()
    response = post_form(client, "/binding/change", {}, source="/binding")
    assert re.search(r"/bind/SSB-[A-Z0-9]{8}/account$", response.headers["Location"])


def test_an_expired_application_ends_its_code_as_a_cancelled_one_does(
    customer, app, frozen, db_conn
):
    _reference, path = _awaiting(customer)
    challenge = Challenge.get(Challenge.public_id == challenge_on(customer, path))
    frozen.advance(hours=24, minutes=1)
    result = app.test_cli_runner().invoke(args=["expire-applications"])
    assert "Expired 1 application." in result.output
    assert Challenge.get_by_id(challenge.id).status == "dead"


def _second_tap(app, cookie, path, form):
    """The same code form sent again, at once, from a browser holding the cookie from before."""
    twin = app.test_client()
    twin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    twin.set_cookie("ssb_session", cookie)
    return twin, twin.post(path, data=form)


def test_the_second_tap_on_the_bind_code_page_shows_the_binding_and_stays_signed_in(
    customer, app, db_conn
):
    reference, path = _awaiting(customer)
    form = {"csrf_token": csrf_token(customer, path), "challenge_id": challenge_on(customer, path)}
    form["code"] = latest_code(app)
    before = session_cookie(customer)
    assert customer.post(path, data=form).status_code == 303
    twin, answer = _second_tap(app, before, path, form)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"{reference}/done")
    assert signed_in_with(app, session_cookie(twin))


def test_the_second_tap_on_the_unbind_code_page_stays_signed_in(client, app, db_conn):
    log_in(client, "liu.yang")
    post_form(client, "/binding/unbind", {"reason": "other"})
    path = "/binding/unbind/verify"
    form = {"csrf_token": csrf_token(client, path), "challenge_id": challenge_on(client, path)}
    form["code"] = latest_code(app)
    before = session_cookie(client)
    assert client.post(path, data=form).status_code == 303
    twin, answer = _second_tap(app, before, path, form)
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/binding")
    assert signed_in_with(app, session_cookie(twin))
    with twin.session_transaction() as kept:
        assert "unbind_reason" not in kept  # the reason is gone with the binding
    # Its page says what the first tap did, whose answer the browser dropped.
    page = text_of(twin.get(answer.headers["Location"]))
    assert "Your card ****0394 is no longer bound." in page
    assert "You have no bound card" not in page


def test_the_unbind_code_page_without_a_binding_says_there_is_none(client, db_conn):
    log_in(client)  # zhang.wei has no bound card
    answer = client.get("/binding/unbind/verify")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/binding")
    assert "You have no bound card." in text_of(client.get("/binding"))
