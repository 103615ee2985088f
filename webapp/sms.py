"""Sending SMS: the console and Twilio backends, the text of a code, and delivery status.

Every send is one provider call with an explicit timeout and no automatic retry, so a slow or
failing provider never makes a customer receive the same message twice. The text of a code
message is never stored; notices are recorded like codes but never contain one.
"""

import collections
import datetime
import logging
import re
import secrets
from dataclasses import dataclass

import requests
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from webapp import audit, clock, i18n, logs, pii
from webapp.models import SmsMessage

log = logging.getLogger("webapp.sms")
console_log = logging.getLogger("webapp.sms.console")

OUTBOX_SIZE = 50
STATUS_CALLBACK_PATH = "/webhooks/twilio/status"
VALID_MINUTES = 5
HOST = re.compile(r"[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?")
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}

# Twilio's message statuses, as the five an agent sees.
PROVIDER_STATUSES = {
    "accepted": SmsMessage.QUEUED,
    "scheduled": SmsMessage.QUEUED,
    "queued": SmsMessage.QUEUED,
    "sending": SmsMessage.QUEUED,
    "sent": SmsMessage.SENT,
    "delivered": SmsMessage.DELIVERED,
    "read": SmsMessage.DELIVERED,
    "undelivered": SmsMessage.UNDELIVERED,
    "failed": SmsMessage.FAILED,
    "canceled": SmsMessage.FAILED,
}


class SendFailed(Exception):
    """The provider did not take the message: its error code ("timeout" if it never answered)."""

    def __init__(self, code, message):
        super().__init__(f"{code}: {message}")
        self.code = str(code)
        self.message = message


@dataclass(frozen=True)
class OutboxEntry:
    """A message the console backend sent: the masked number, when, and the full text."""

    to: str
    at: datetime.datetime
    text: str


class ConsoleSender:
    """Development: writes each message to the log and keeps the newest 50 for /dev/outbox."""

    name = "console"

    def __init__(self):
        self.outbox = collections.deque(maxlen=OUTBOX_SIZE)

    def send(self, *, to, body):
        """Log and keep the message; returns (sid, status)."""
        masked = pii.mask_mobile(to)
        console_log.info("SMS to %s:\n%s", masked, body)
        self.outbox.appendleft(OutboxEntry(masked, clock.now(), body))
        return "CONSOLE" + secrets.token_hex(16), SmsMessage.SENT


class TwilioSender:
    """Twilio Programmable Messaging through the official client."""

    name = "twilio"

    def __init__(self, config):
        self.timeout = config["SMS_TIMEOUT_SECONDS"]
        http_client = TwilioHttpClient(timeout=self.timeout, max_retries=0)
        self.client = Client(
            config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http_client
        )

    def send(self, *, to, body):
        """One API call; returns (sid, status) or raises SendFailed."""
        config = current_app.config
        if config["TWILIO_MESSAGING_SERVICE_SID"]:
            origin = {"messaging_service_sid": config["TWILIO_MESSAGING_SERVICE_SID"]}
        else:
            origin = {"from_": config["TWILIO_FROM_NUMBER"]}
        callback = config["PUBLIC_BASE_URL"].rstrip("/") + STATUS_CALLBACK_PATH
        # "from None": the provider's exception quotes the full number, so it stays out of logs.
        try:
            message = self.client.messages.create(
                to=to, body=body, status_callback=callback, **origin
            )
        except TwilioRestException as exc:
            raise SendFailed(exc.code or exc.status, logs.scrub(str(exc.msg))) from None
        except TwilioServiceException as exc:
            raise SendFailed(exc.code or exc.status, logs.scrub(exc.detail or exc.title)) from None
        except requests.Timeout:
            raise SendFailed("timeout", f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise SendFailed("connection", type(exc).__name__) from None
        return message.sid, PROVIDER_STATUSES.get(message.status, SmsMessage.QUEUED)


BACKENDS = {"console": lambda config: ConsoleSender(), "twilio": TwilioSender}


def sender():
    """The configured backend, built once per app (the Twilio client keeps its connections)."""
    name = current_app.config["SMS_BACKEND"]
    senders = current_app.extensions.setdefault("sms_senders", {})
    if name not in senders:
        if name not in BACKENDS:
            raise ValueError(f"unknown SMS_BACKEND {name!r}")
        senders[name] = BACKENDS[name](current_app.config)
    return senders[name]


def outbox():
    """The console backend's messages, newest first (development only)."""
    console = current_app.extensions.get("sms_senders", {}).get("console")
    return list(console.outbox) if console else []


def bank_name(locale):
    """The bank's name as its messages are signed in this language."""
    chinese = str(locale).lower().startswith("zh")
    return current_app.config["BANK_NAME_ZH" if chinese else "BANK_NAME_EN"]


def code_text(*, code, purpose, card, account, locale, host, amount_fen=None):
    """The text of a code message in the customer's language; its last line binds it to host.
    A payment's code names its amount (amount_fen)."""
    if not HOST.fullmatch(host or ""):
        raise ValueError("host must be a bare host name, like bank.example.com")
    language = LOCALES["zh" if str(locale).lower().startswith("zh") else "en"]
    with force_locale(language):
        bank = bank_name(language)
        first = _authorises(
            purpose,
            bank=bank,
            code=code,
            card=pii.mask_tail(card),
            account=pii.mask_tail(account),
            amount=i18n.format_money(amount_fen, language) if amount_fen is not None else "",
        )
        second = _(
            "Valid for %(minutes)d minutes. Never share this code with anyone, not even bank staff.",
            minutes=VALID_MINUTES,
        )
    return f"{first}\n{second}\n\n@{host} #{code}"


def _authorises(purpose, **values):
    if purpose == "bind":
        return _(
            "%(bank)s: %(code)s is your code to bind social security card %(card)s to "
            "account %(account)s.",
            **values,
        )
    if purpose == "unbind":
        return _(
            "%(bank)s: %(code)s is your code to unbind social security card %(card)s from "
            "account %(account)s.",
            **values,
        )
    if purpose == "change_account":
        return _(
            "%(bank)s: %(code)s is your code to move social security card %(card)s to "
            "account %(account)s.",
            **values,
        )
    if purpose == "pay":
        return _(
            "%(bank)s: %(code)s is your code to pay %(amount)s of social insurance fees for card "
            "%(card)s from account %(account)s.",
            **values,
        )
    raise ValueError(f"unknown purpose {purpose!r}")


def queue_code(*, customer, challenge, mobile, ip):
    """Record a code message about to be sent, so every sending limit counts it from now on."""
    return SmsMessage.create(
        customer=customer,
        challenge=challenge,
        kind=SmsMessage.CODE,
        purpose=challenge.purpose,
        mobile=mobile,
        ip=ip or "",
        provider=current_app.config["SMS_BACKEND"],
        created_at=challenge.created_at,
        updated_at=challenge.created_at,
    )


def send_code(*, message, text):
    """Send a queued code message; SendFailed is raised after the failure is recorded on it."""
    return _deliver(message, text)


def send_notice(*, customer, mobile, text):
    """Send a security notice (never a code); a failure is recorded and audited, not raised."""
    now = clock.now()
    message = SmsMessage.create(
        customer=customer,
        kind=SmsMessage.NOTICE,
        mobile=mobile,
        provider=current_app.config["SMS_BACKEND"],
        created_at=now,
        updated_at=now,
    )
    try:
        _deliver(message, text)
    except SendFailed as exc:
        # The action the notice reports has happened; losing the notice must not undo it.
        outcome, error_code = "failed", exc.code
    else:
        outcome, error_code = "ok", None
    audit.record(
        "sms.notice_sent",
        customer=customer,
        outcome=outcome,
        mobile=message.masked_mobile,
        provider=message.provider,
        error_code=error_code,
    )
    return message


def _deliver(message, text):
    backend = sender()
    try:
        sid, status = backend.send(to=message.mobile, body=text)
    except SendFailed as exc:
        message.status, message.error_code = SmsMessage.FAILED, exc.code[:20]
        message.error_message, message.updated_at = exc.message[:255], clock.now()
        _store(message, "status", "error_code", "error_message", "updated_at")
        log.warning(
            "SMS %s (%s) to %s not sent: %s error %s: %s",
            message.id,
            message.kind,
            message.masked_mobile,
            backend.name,
            exc.code,
            exc.message,
        )
        raise
    message.provider_sid, message.status, message.updated_at = sid, status, clock.now()
    _store(message, "provider_sid", "status", "updated_at")
    log.info(
        "SMS %s (%s) to %s handed to %s as %s",
        message.id,
        message.kind,
        message.masked_mobile,
        backend.name,
        sid,
    )
    return message


def _store(message, *names):
    values = {getattr(SmsMessage, name): getattr(message, name) for name in names}
    SmsMessage.update(values).where(SmsMessage.id == message.id).execute()


def record_status(*, sid, provider_status, error_code=None):
    """Store a delivery status the provider reported; None when the sid is not one of ours.

    A status only moves forward (queued, sent, then one final status), whatever order the
    provider's callbacks arrive in.
    """
    message = SmsMessage.get_or_none(SmsMessage.provider_sid == sid) if sid else None
    if message is None:
        log.info("Delivery status %r for unknown message %r ignored", provider_status, sid[:64])
        return None
    status = PROVIDER_STATUSES.get(provider_status)
    if status is None:
        log.info("Unknown delivery status %r for SMS %s ignored", provider_status, message.id)
        return message
    now = clock.now()
    changes = {SmsMessage.status: status, SmsMessage.updated_at: now}
    if error_code:
        changes[SmsMessage.error_code] = str(error_code)[:20]
    if status == SmsMessage.DELIVERED:
        changes[SmsMessage.delivered_at] = now
    earlier = [name for name, rank in SmsMessage.RANK.items() if rank < SmsMessage.RANK[status]]
    moved = (
        SmsMessage.update(changes)
        .where(SmsMessage.id == message.id, SmsMessage.status.in_(earlier))
        .execute()
    )
    log.info(
        "SMS %s delivery status %s%s",
        message.id,
        status,
        "" if moved else f" ignored (already {message.status})",
    )
    return SmsMessage.get_by_id(message.id)
