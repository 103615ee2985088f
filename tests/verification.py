"""Reading codes the way a developer does (the console outbox) and entering them."""

import re

from tests.conftest import post_form
from webapp import otp, sms
from webapp.models import Customer

CHALLENGE = re.compile(r'name="challenge_id" type="hidden" value="([^"]+)"')


def latest_code(app):
    """The code in the newest console SMS."""
    with app.app_context():
        texts = [entry.text for entry in sms.outbox()]
    return re.search(r"#(\d{6})$", texts[0]).group(1)


def challenge_on(client, path):
    """The challenge id the code page asks about."""
    return CHALLENGE.search(client.get(path).get_data(as_text=True)).group(1)


def enter_code(client, path, code, challenge_id=None):
    """Submit a code on a code page."""
    challenge_id = challenge_id or challenge_on(client, path)
    return post_form(client, path, {"challenge_id": challenge_id, "code": code})


def send_codes_to(app, mobile, count):
    """Codes for other requests to a mobile number (another customer's wizard, say): ten in
    24 hours are all a number may have."""
    with app.app_context():
        wang = Customer.get(Customer.username == "wang.fang")
        for number in range(count):
            otp.issue(
                customer=wang,
                purpose="bind",
                subject=f"application:SSB-{mobile[-4:]}{number:04d}",
                mobile=mobile,
                ip=f"198.51.100.{number}",
                card_tail="K90001234",
                account_tail="6222020000001234",
                locale="en",
                host="bank.example",
                terms=otp.terms(card="K90001234", account="6222020000001234"),
            )


def session_cookie(client):
    """The value of the client's session cookie."""
    return client.get_cookie("ssb_session").value


def assert_new_session(app, client, before):
    """The client's session cookie changed and works; the one before it no longer does (only
    the same form, sent again with it at once, is let in: see sign_in.renew_session_token)."""
    after = session_cookie(client)
    assert after != before and signed_in_with(app, after)
    assert not signed_in_with(app, before)


def signed_in_with(app, cookie):
    """Whether a browser holding this session cookie (a copy, say) is still signed in."""
    browser = app.test_client()
    browser.set_cookie("ssb_session", cookie)
    return browser.get("/dashboard").status_code == 200
