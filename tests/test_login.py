"""Logging in and out, lockout, idle timeout."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.sessions import SecureCookieSessionInterface

from tests.conftest import csrf_token, log_in, post_form
from webapp import demo, sign_in
from webapp.models import AuditEvent, Customer

pytestmark = pytest.mark.database

UNIFORM = "The username or password is wrong"


def test_demo_customer_logs_in_and_sees_accounts(client):
    response = log_in(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/dashboard")
    page = client.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Hello, 张*" in page
    assert "****2345" in page
    assert "¥15,234.50" in page
    assert "6222021001000012345" not in page


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    wrong = log_in(client, password="nope-nope").get_data(as_text=True)
    unknown = log_in(client, username="nobody.here").get_data(as_text=True)
    assert UNIFORM in wrong and UNIFORM in unknown
    assert client.get("/dashboard").status_code == 302


def test_five_failures_lock_the_login_for_fifteen_minutes(client, frozen, db_conn):
    for _ in range(5):
        assert UNIFORM in log_in(client, password="wrong-password").get_data(as_text=True)
    customer = Customer.get(Customer.username == "zhang.wei")
    assert customer.locked_until is not None
    # The right password is refused while locked, with the same message.
    response = log_in(client)
    assert response.status_code == 200 and UNIFORM in response.get_data(as_text=True)
    frozen.advance(minutes=15, seconds=1)
    assert log_in(client).status_code == 303
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions.count("login.failed") == 4
    assert "login.locked" in actions and "login.refused_locked" in actions


def test_logout_ends_the_session(customer):
    response = post_form(customer, "/logout", {}, source="/dashboard")
    assert response.status_code == 303
    assert customer.get("/dashboard").status_code == 302


def test_idle_customer_is_logged_out_after_ten_minutes(customer, frozen):
    frozen.advance(minutes=9)
    assert customer.get("/dashboard").status_code == 200
    frozen.advance(minutes=10, seconds=1)
    response = customer.get("/dashboard")
    assert response.status_code == 302
    page = customer.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "inactive" in page.get_data(as_text=True)


def test_activity_is_recorded_at_most_every_fifteen_seconds(customer, frozen):
    assert customer.get("/dashboard").status_code == 200  # the first page also makes its token
    frozen.advance(seconds=10)
    soon = customer.get("/dashboard")
    assert soon.status_code == 200 and "Set-Cookie" not in soon.headers
    frozen.advance(seconds=10)
    later = customer.get("/dashboard")
    assert later.status_code == 200 and "ssb_session=" in later.headers["Set-Cookie"]
    # Ten minutes after the activity last recorded (not after the login) the session ends.
    frozen.advance(minutes=9, seconds=59)
    assert customer.get("/dashboard").status_code == 200
    frozen.advance(minutes=10, seconds=1)
    assert customer.get("/dashboard").status_code == 302


def test_every_visitor_gets_their_own_token_on_the_login_page(app):
    first, second = app.test_client(), app.test_client()
    first_token, second_token = csrf_token(first, "/login"), csrf_token(second, "/login")
    assert first_token != second_token
    assert first_token not in second.get("/login").get_data(as_text=True)
    answer = second.post(
        "/login",
        data={"csrf_token": second_token, "username": "zhang.wei", "password": demo.PASSWORD},
    )
    assert answer.status_code == 303 and second.get("/dashboard").status_code == 200
    assert first.get("/dashboard").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "zhang.wei", "password": "Demo-2026"})
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_a_session_cookie_copied_before_logout_stops_working(app, customer):
    copied = customer.get_cookie("ssb_session").value
    post_form(customer, "/logout", {}, source="/dashboard")
    thief = app.test_client()
    thief.set_cookie("ssb_session", copied)
    response = thief.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logging_in_elsewhere_ends_the_earlier_session_and_says_so(app, customer):
    other_device = app.test_client()
    assert log_in(other_device).status_code == 303
    assert other_device.get("/dashboard").status_code == 200
    response = customer.get("/dashboard")
    assert response.status_code == 302
    page = customer.get(response.headers["Location"]).get_data(as_text=True)
    said = "Your session here has ended: you logged out in another tab or window, or your online"
    assert said in page and "Log in to continue." not in page
    # Said once: the login page shown again is a plain one.
    assert said not in customer.get("/login").get_data(as_text=True)


def _session_cookie(client):
    return client.get_cookie("ssb_session").value


def test_a_remembered_session_cookie_with_a_changed_signature_is_refused(app, customer):
    genuine = _session_cookie(customer)
    assert customer.get("/dashboard").status_code == 200  # the cookie is now remembered
    forged = genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB")
    stranger = app.test_client()
    stranger.set_cookie("ssb_session", forged)
    assert stranger.get("/dashboard").status_code == 302


def test_a_remembered_session_cookie_still_expires(app, customer, monkeypatch):
    assert customer.get("/dashboard").status_code == 200
    signed_at = time.time()
    app.permanent_session_lifetime = 60
    # The cookie's signature carries the real time it was signed at.
    monkeypatch.setattr(time, "time", lambda: signed_at + 59)
    assert customer.get("/dashboard").status_code == 200
    monkeypatch.setattr(time, "time", lambda: signed_at + 62)
    assert customer.get("/dashboard").status_code == 302


def test_changes_to_one_request_s_session_do_not_reach_the_next(app):
    serializer = app.session_interface.get_signing_serializer(app)
    cookie = serializer.dumps({"_flashes": [["info", "Saved."]], "n": 1})
    first = serializer.loads(cookie, max_age=60)
    first["_flashes"].append(["info", "Again."])
    first["n"] = 2
    assert serializer.loads(cookie, max_age=60) == {"_flashes": [["info", "Saved."]], "n": 1}


def test_cookies_and_tokens_are_signed_uncompressed_and_compressed_cookies_still_open(app):
    visitor = app.test_client()
    token = csrf_token(visitor, "/login")
    cookie = visitor.get_cookie("ssb_session").value
    # itsdangerous marks a compressed payload with a leading "."
    assert not token.startswith(".") and not cookie.startswith(".")
    answer = visitor.post(
        "/login",
        data={"csrf_token": token, "username": "zhang.wei", "password": demo.PASSWORD},
    )
    assert answer.status_code == 303 and visitor.get("/dashboard").status_code == 200

    # A cookie signed before, by Flask's own serializer, which compresses what it can.
    flask_serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    payload = {"csrf_token": "a" * 40, "_flashes": [["info", "Saved. " * 20]]}
    compressed = flask_serializer.dumps(payload)
    assert compressed.startswith(".")
    ours = app.session_interface.get_signing_serializer(app)
    assert ours.loads(compressed, max_age=60) == payload
    # What would compress well is still signed as it is.
    assert not ours.dumps(payload).startswith(".")


def test_a_form_sent_after_the_session_ended_returns_to_its_page_after_logging_in(app):
    phone = app.test_client()
    log_in(phone, "liu.yang")
    token = csrf_token(phone, "/binding")
    log_in(app.test_client(), "liu.yang")  # elsewhere: the phone's session ends
    # "Change the bound account" and "Send a new code" answer only forms: their pages are
    # the ones above them.
    for sent_to, page in (
        ("/binding/change", "/binding"),
        ("/binding/unbind/verify/resend", "/binding/unbind/verify"),
    ):
        answer = phone.post(sent_to, data={"csrf_token": token})
        assert answer.status_code == 302
        assert answer.headers["Location"] == f"/login?next={page}"
    # A form whose own page answers it keeps that page's query (a payment's key and base).
    answer = phone.post(
        "/services/pay/RM-2026/authorise?key=abc&base=6000", data={"csrf_token": token}
    )
    next_page = parse_qs(urlsplit(answer.headers["Location"]).query)["next"]
    assert next_page == ["/services/pay/RM-2026/authorise?key=abc&base=6000"]
    answer = post_form(
        phone,
        "/login?next=%2Fbinding",
        {"username": "liu.yang", "password": demo.PASSWORD},
        source="/login",
    )
    assert answer.status_code == 303 and answer.headers["Location"] == "/binding"
    assert phone.get("/binding").status_code == 200


def test_a_renewal_changes_nothing_once_the_token_has_moved_on(app, db_conn):
    with app.app_context():
        first = Customer.get(Customer.username == "zhang.wei")
        second = Customer.get_by_id(first.id)  # the same customer, read by another request
        assert sign_in.renew_session_token(first, "challenge-a")
        # The other request still holds the token from before: it renews nothing.
        assert not sign_in.renew_session_token(second, "challenge-b")
        assert Customer.get_by_id(first.id).session_token == first.session_token
