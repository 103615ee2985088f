"""SMS sending: the console backend and its outbox, the real Twilio client against a fake API."""

import datetime
import logging

import pytest

from tests.fakes.twilio_api import ACCOUNT_SID, AUTH_TOKEN, CLIENT_TIMEOUT, FROM_NUMBER
from tests.test_config import production_settings
from webapp import config, create_app, otp, sms
from webapp.extensions import db
from webapp.models import Account, AuditEvent, Challenge, Customer, SmsMessage

pytestmark = pytest.mark.database

SUBJECT = "application:SSB-7K3M9QXD"
TERMS = otp.terms(card="K90001234", account="6222020000002345")


@pytest.fixture
def context(app, db_conn, frozen):
    """An app context on the test database, with the clock standing still."""
    frozen.at = datetime.datetime(2026, 3, 2, 9, 0, 0)
    with app.app_context():
        yield frozen


@pytest.fixture
def zhang(context):
    return Customer.get(Customer.username == "zhang.wei")


class Records(logging.Handler):
    """Keeps every record a logger emits."""

    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def webapp_log():
    """Every record of the "webapp" logger and its children (they do not reach pytest's caplog)."""
    handler = Records()
    logger = logging.getLogger("webapp")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def send(customer, purpose="bind", subject=SUBJECT, locale="en"):
    account = Account.of(customer).first()
    return otp.issue(
        customer=customer,
        purpose=purpose,
        subject=subject,
        mobile=account.reserved_mobile,
        ip="203.0.113.7",
        card_tail="K90001234",
        account_tail=account.number,
        locale=locale,
        host="bank.example",
        terms=TERMS,
    )


def last_line_code(text):
    last = text.splitlines()[-1]
    assert last.startswith("@bank.example #")
    return last.rsplit("#", 1)[1]


# The console backend (development)


def test_console_backend_logs_the_message_and_keeps_it_in_the_outbox(zhang, webapp_log):
    challenge = send(zhang)
    [entry] = sms.outbox()
    assert entry.to == "138****8000"
    assert "****1234" in entry.text and "****2345" in entry.text
    console = [r for r in webapp_log if r.name == "webapp.sms.console"]
    assert len(console) == 1 and entry.text in console[0].getMessage()
    message = SmsMessage.get(SmsMessage.challenge == challenge)
    assert (message.provider, message.status, message.kind) == ("console", "sent", "code")
    assert message.provider_sid.startswith("CONSOLE")


def test_the_outbox_keeps_the_newest_fifty_newest_first(zhang, app):
    app.config["SMS_GLOBAL_PER_MINUTE"] = 1000
    for number in range(52):
        sms.send_notice(customer=zhang, mobile="+8613800138000", text=f"Notice {number}")
    texts = [entry.text for entry in sms.outbox()]
    assert len(texts) == 50
    assert texts[0] == "Notice 51" and texts[-1] == "Notice 2"


def test_the_dev_outbox_page_shows_masked_numbers_and_full_texts(app, zhang):
    challenge = send(zhang)
    code = last_line_code(sms.outbox()[0].text)
    page = app.test_client().get("/dev/outbox", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Development only" in html
    assert "138****8000" in html and f"#{code}" in html
    assert "13800138000" not in html
    assert challenge.public_id not in html


def test_the_dev_outbox_does_not_exist_with_twilio_or_in_production(app):
    twilio = create_app(
        {"TESTING": True, "DATABASE": app.config["DATABASE"], "SMS_BACKEND": "twilio"}
    )
    assert twilio.test_client().get("/dev/outbox").status_code == 404
    production = create_app({**production_settings(), "DATABASE": app.config["DATABASE"]})
    assert "dev" not in production.blueprints


def test_the_dev_outbox_shows_codes_only_to_a_browser_on_this_machine(app, zhang):
    send(zhang)
    code = last_line_code(sms.outbox()[0].text)
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    page = elsewhere.get("/dev/outbox")
    assert page.status_code == 404 and f"#{code}" not in page.get_data(as_text=True)
    here = app.test_client()
    here.environ_base["REMOTE_ADDR"] = "::1"
    assert f"#{code}" in here.get("/dev/outbox").get_data(as_text=True)
    # A proxy or tunnel on this machine brings others in from 127.0.0.1, and says so.
    for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
        assert here.get("/dev/outbox", headers={header: "198.51.100.4"}).status_code == 404


@pytest.mark.parametrize(
    "missing, problem",
    [
        ("TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID is not set"),
        ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN is not set"),
        ("TWILIO_FROM_NUMBER", "TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is not set"),
    ],
)
def test_production_refuses_twilio_without_credentials(missing, problem):
    settings = {**production_settings(), "TWILIO_MESSAGING_SERVICE_SID": ""}
    config.refuse_unsafe(settings)
    settings[missing] = ""
    with pytest.raises(config.UnsafeConfiguration, match=problem):
        config.refuse_unsafe(settings)


# The text of a code


@pytest.mark.parametrize(
    "purpose, words",
    [
        ("bind", "to bind social security card ****1234 to account ****5678"),
        ("unbind", "to unbind social security card ****1234 from account ****5678"),
        ("change_account", "to move social security card ****1234 to account ****5678"),
        (
            "pay",
            "to pay ¥1,234.50 of social insurance fees for card ****1234 from account ****5678",
        ),
    ],
)
def test_a_code_message_says_what_it_authorises(context, purpose, words):
    text = sms.code_text(
        code="042917",
        purpose=purpose,
        card="K90001234",
        account="6222021001000015678",
        locale="en",
        host="bank.example",
        amount_fen=123450 if purpose == "pay" else None,
    )
    lines = text.splitlines()
    assert lines[0] == f"Example Bank: 042917 is your code {words}."
    assert "Valid for 5 minutes" in text and "Never share this code" in text
    assert lines[-1] == "@bank.example #042917"


def test_a_chinese_customer_gets_the_bank_name_in_chinese_and_the_same_last_line(context):
    text = sms.code_text(
        code="042917",
        purpose="bind",
        card="K90001234",
        account="6222021001000015678",
        locale="zh_Hans_CN",
        host="bank.example",
    )
    assert text.startswith("示例银行")
    assert "****1234" in text and "****5678" in text
    assert text.splitlines()[-1] == "@bank.example #042917"


@pytest.mark.parametrize("host", ["", "bank.example #000000", "bank.example\n@evil.example"])
def test_a_code_message_refuses_a_host_that_could_forge_its_last_line(context, host):
    with pytest.raises(ValueError):
        sms.code_text(
            code="042917", purpose="bind", card="K90001234", account="5678", locale="en", host=host
        )


# Twilio, through the real client against the fake API


def test_twilio_gets_the_account_credentials_number_text_and_callback(zhang, fake_twilio):
    challenge = send(zhang)
    [sent] = fake_twilio.requests
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.to == "+8613800138000"
    assert (sent.from_, sent.messaging_service_sid) == (FROM_NUMBER, None)
    assert sent.status_callback == "https://bank.example/webhooks/twilio/status"
    assert "to bind social security card ****1234 to account ****2345" in sent.body
    assert "Valid for 5 minutes" in sent.body and "Never share this code" in sent.body
    code = last_line_code(sent.body)
    message = SmsMessage.get(SmsMessage.challenge == challenge)
    assert message.provider == "twilio" and message.provider_sid.startswith("SM")
    assert message.status == "queued"
    assert (
        otp.check(
            customer=zhang,
            purpose="bind",
            subject=SUBJECT,
            challenge_id=challenge.public_id,
            code=code,
            terms=TERMS,
        ).outcome
        == "ok"
    )


def test_twilio_sends_from_the_messaging_service_when_one_is_configured(zhang, app, fake_twilio):
    app.config["TWILIO_MESSAGING_SERVICE_SID"] = "MG" + "1" * 32
    send(zhang)
    [sent] = fake_twilio.requests
    assert (sent.from_, sent.messaging_service_sid) == (None, "MG" + "1" * 32)


def test_the_twilio_client_has_an_explicit_timeout_and_never_retries(zhang, fake_twilio):
    send(zhang)
    [client] = fake_twilio.clients
    assert client.timeout == CLIENT_TIMEOUT
    assert client.session.get_adapter("https://api.twilio.com").max_retries.total == 0


@pytest.mark.parametrize(
    "failure, code",
    [
        ("invalid_number", "21211"),
        ("unsubscribed", "21610"),
        ("too_many_requests", "20429"),
        ("server_error", "20500"),
        ("bad_gateway", "502"),
        ("timeout", "timeout"),
    ],
)
def test_a_provider_failure_is_recorded_and_leaves_nothing_half_done(
    zhang, fake_twilio, failure, code
):
    if failure == "timeout":
        fake_twilio.answer_after(CLIENT_TIMEOUT * 6)
    else:
        fake_twilio.fail_with(failure)
    with pytest.raises(sms.SendFailed) as failed:
        send(zhang)
    assert failed.value.code == code
    assert len(fake_twilio.requests) == 1, "a failed send must never be retried"
    message = SmsMessage.get()
    assert (message.status, message.error_code, message.provider_sid) == ("failed", code, None)
    assert "13800138000" not in (message.error_message or "")
    event = AuditEvent.get(AuditEvent.action == "otp.send_failed")
    assert (event.outcome, event.details["error_code"]) == ("failed", code)
    assert event.details["mobile"] == "138****8000"
    dead = Challenge.get()
    assert dead.status == "failed"
    code_sent = last_line_code(fake_twilio.requests[0].body)
    assert (
        otp.check(
            customer=zhang,
            purpose="bind",
            subject=SUBJECT,
            challenge_id=dead.public_id,
            code=code_sent,
            terms=TERMS,
        ).outcome
        == "missing"
    )
    # No cooldown started and no code was counted: the customer can ask again at once.
    fake_twilio.fail_with(None)
    fake_twilio.answer_after(0)
    send(zhang)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).codes_left == 4


def test_a_notice_is_recorded_without_its_text_and_a_failure_does_not_raise(zhang, fake_twilio):
    text = "Card ****1234 was bound to account ****2345 at 14:02. Not you? Call 400-000-0000."
    sent = sms.send_notice(customer=zhang, mobile="+8613800138000", text=text)
    assert (sent.kind, sent.status, sent.challenge_id) == ("notice", "queued", None)
    assert fake_twilio.requests[0].body == text
    fake_twilio.fail_with("unsubscribed")
    failed = sms.send_notice(customer=zhang, mobile="+8613800138000", text=text)
    assert (failed.status, failed.error_code) == ("failed", "21610")
    outcomes = [
        e.outcome for e in AuditEvent.select().where(AuditEvent.action == "sms.notice_sent")
    ]
    assert outcomes == ["ok", "failed"]


def test_no_code_or_full_mobile_is_kept_in_the_database_audit_or_logs(
    zhang, app, fake_twilio, webapp_log, context
):
    codes = []
    first = send(zhang)
    codes.append(last_line_code(fake_twilio.requests[-1].body))
    otp.check(
        customer=zhang,
        purpose="bind",
        subject=SUBJECT,
        challenge_id=first.public_id,
        code="000000" if codes[0] != "000000" else "111111",
        terms=TERMS,
    )
    context.advance(seconds=60)
    fake_twilio.fail_with("invalid_number")
    with pytest.raises(sms.SendFailed):
        send(zhang)
    codes.append(last_line_code(fake_twilio.requests[-1].body))
    fake_twilio.fail_with(None)
    second = send(zhang)
    codes.append(last_line_code(fake_twilio.requests[-1].body))
    otp.check(
        customer=zhang,
        purpose="bind",
        subject=SUBJECT,
        challenge_id=second.public_id,
        code=codes[-1],
        terms=TERMS,
    )
    sms.send_notice(customer=zhang, mobile="+8613800138000", text="Card ****1234 was bound.")

    secrets_ = codes + ["13800138000"]
    stored = []
    for table in ("audit_event", "sms_message", "challenge", "verification_subject"):
        stored += [str(v) for row in db.database.execute_sql(f"SELECT * FROM {table}") for v in row]
    logged = [r.getMessage() for r in webapp_log if r.name != "webapp.sms.console"]
    assert logged, "the journey wrote no log lines at all"
    for secret in secrets_:
        assert not [v for v in stored if secret in v], f"{secret} stored"
        assert not [line for line in logged if secret in line], f"{secret} logged"
