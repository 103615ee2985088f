"""Twilio's delivery status callbacks: signed, stored on the SMS record, never going backwards."""

import logging

import pytest
from twilio.request_validator import RequestValidator

from tests.fakes.twilio_api import AUTH_TOKEN, PUBLIC_BASE_URL
from webapp import otp
from webapp.models import Account, Customer, SmsMessage

pytestmark = pytest.mark.database

PATH = "/webhooks/twilio/status"


@pytest.fixture
def message(app, db_conn, fake_twilio):
    """A code SMS that Twilio accepted (queued), as the agent would see it."""
    with app.app_context():
        customer = Customer.get(Customer.username == "zhang.wei")
        account = Account.of(customer).first()
        challenge = otp.issue(
            customer=customer,
            purpose="bind",
            subject="application:SSB-7K3M9QXD",
            mobile=account.reserved_mobile,
            ip="203.0.113.7",
            card_tail="K90001234",
            account_tail=account.number,
            locale="en",
            host="bank.example",
            terms=otp.terms(card="K90001234", account=account.number),
        )
        return SmsMessage.get(SmsMessage.challenge == challenge)


def callback(app, params, signature=True, url=PUBLIC_BASE_URL + PATH, **kwargs):
    """POST a status callback the way Twilio does, signed over the public URL it called."""
    headers = {}
    if signature is True:
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    if signature:
        headers["X-Twilio-Signature"] = signature
    # The app sits behind a proxy: it is reached on localhost over plain HTTP.
    return app.test_client().post(PATH, data=params, headers=headers, **kwargs)


def status_of(message):
    return SmsMessage.get_by_id(message.id)


def report(message, status, **extra):
    return {
        "MessageSid": message.provider_sid,
        "MessageStatus": status,
        "AccountSid": "AC" + "5" * 32,
        "To": "+8613800138000",
        **extra,
    }


def test_a_signed_delivery_report_is_stored(app, message):
    assert callback(app, report(message, "sent")).status_code == 204
    assert status_of(message).status == "sent"
    assert callback(app, report(message, "delivered")).status_code == 204
    stored = status_of(message)
    assert stored.status == "delivered" and stored.delivered_at is not None


def test_an_undelivered_report_keeps_the_carriers_error_code(app, message):
    assert callback(app, report(message, "undelivered", ErrorCode="30003")).status_code == 204
    stored = status_of(message)
    assert (stored.status, stored.error_code) == ("undelivered", "30003")


@pytest.mark.parametrize("signature", [None, "", "bm90IGEgc2lnbmF0dXJl"])
def test_a_missing_or_bad_signature_is_refused_and_changes_nothing(app, message, signature):
    logger, seen = logging.getLogger("webapp.views.webhooks"), []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logger.addHandler(handler)
    try:
        response = callback(app, report(message, "delivered"), signature=signature)
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 403
    assert status_of(message).status == "queued"
    # Said in the log, with the address the signature was checked against.
    assert seen == [
        f"Refused a delivery-status callback for {PATH}: its signature does not match "
        f"{PUBLIC_BASE_URL}"
    ]


def test_a_signature_over_other_parameters_is_refused(app, message):
    signed = RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_BASE_URL + PATH, report(message, "sent")
    )
    response = callback(app, report(message, "delivered"), signature=signed)
    assert response.status_code == 403
    assert status_of(message).status == "queued"


def test_the_signature_is_checked_against_the_public_url_not_the_proxys(app, message):
    internal = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://localhost" + PATH, report(message, "delivered")
    )
    assert callback(app, report(message, "delivered"), signature=internal).status_code == 403
    assert callback(app, report(message, "delivered")).status_code == 204


def test_without_an_auth_token_every_callback_is_refused(app, message):
    app.config["TWILIO_AUTH_TOKEN"] = ""
    forged = RequestValidator("").compute_signature(
        PUBLIC_BASE_URL + PATH, report(message, "delivered")
    )
    assert callback(app, report(message, "delivered"), signature=forged).status_code == 403
    assert status_of(message).status == "queued"


def test_an_unknown_message_is_ignored_with_204_and_a_log_line(app, message):
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("webapp.sms")
    logger.addHandler(handler)
    try:
        unknown = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
        assert callback(app, unknown).status_code == 204
    finally:
        logger.removeHandler(handler)
    assert any("SM" + "0" * 32 in record.getMessage() for record in records)
    assert status_of(message).status == "queued"


@pytest.mark.parametrize(
    "reports, final",
    [
        (["delivered", "sent"], "delivered"),
        (["delivered", "queued"], "delivered"),
        (["failed", "delivered"], "failed"),
        (["undelivered", "sent", "delivered"], "undelivered"),
        (["sent", "queued"], "sent"),
        (["sending", "sent", "delivered"], "delivered"),
    ],
)
def test_a_status_never_goes_backwards(app, message, reports, final):
    for status in reports:
        assert callback(app, report(message, status)).status_code == 204
    assert status_of(message).status == final


def test_the_callback_needs_no_csrf_token(app, message):
    app.config["WTF_CSRF_ENABLED"] = True
    assert callback(app, report(message, "sent")).status_code == 204
