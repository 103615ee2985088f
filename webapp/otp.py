"""The one-time-code policy: issuing, checking, the sending limits and locks (SPEC 3.1).

A code is 6 digits from `secrets`, valid 5 minutes, bound to one customer, purpose, subject and
challenge, and kept only as an HMAC keyed by the server. The HMAC also covers the terms the
code's text names (the card and account, a payment's item and amount): a code proves those
terms and no others, whatever a form sends with it. Every issue, check, refusal, lock and
unlock is audited with masked data; the code itself is never logged, stored or audited.
"""

import datetime
import hashlib
import hmac
import json
import secrets
import unicodedata
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from peewee import PostgresqlDatabase

from webapp import audit, clock, logs, pii, sms
from webapp.extensions import db
from webapp.models import Challenge, Customer, SmsMessage, VerificationSubject

PURPOSES = ("bind", "unbind", "change_account", "pay")
CODE_DIGITS = 6
VALID_FOR = datetime.timedelta(minutes=sms.VALID_MINUTES)
WRONG_PER_CODE = 5
RESEND_AFTER = datetime.timedelta(seconds=60)
CODES_PER_SUBJECT = 5
WRONG_PER_SUBJECT = 10
LOCK_FOR = datetime.timedelta(minutes=30)
SMS_PER_MOBILE, MOBILE_WINDOW = 10, datetime.timedelta(hours=24)
SMS_PER_IP, IP_WINDOW = 20, datetime.timedelta(hours=1)
GLOBAL_WINDOW = datetime.timedelta(minutes=1)
WINDOWS = {"mobile_limit": MOBILE_WINDOW, "ip_limit": IP_WINDOW, "global_limit": GLOBAL_WINDOW}
# PostgreSQL advisory lock key: app servers take turns deciding, so every limit stays exact.
ISSUE_LOCK = 0x55B0_0C0D


class Refused(Exception):
    """No code was sent: reason says why, retry_at when asking again can succeed."""

    def __init__(self, reason, retry_at):
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at


class NotLocked(Exception):
    """An agent asked to unlock a subject that is not locked."""


@dataclass(frozen=True)
class CheckResult:
    """What check() decided: ok, wrong, earlier (a code a newer one replaced, entered where the
    newer one is asked for: not counted as a wrong entry), expired, dead (entered wrongly 5
    times), replaced, ended, locked, used or missing (see _spent).

    lock_follows: using up the attempts left locks verification, rather than only ending this
    code (the subject's wrong entries in all run out first).
    """

    outcome: str
    attempts_left: int = 0
    locked_until: datetime.datetime | None = None
    lock_follows: bool = False


@dataclass(frozen=True)
class VerificationState:
    """What the "Verify it's you" page shows about a subject's codes for one purpose.

    held: when a new code could otherwise be asked for and the mobile number has had its
    codes for the day, the Refused that asking would meet (the page says so up front); else
    None. The other sending limits are met, and said, when the customer asks.
    """

    challenge: Challenge | None
    masked_mobile: str
    expires_at: datetime.datetime | None
    attempts_left: int
    resend_at: datetime.datetime | None
    codes_left: int
    locked_until: datetime.datetime | None
    lock_follows: bool = False  # as in CheckResult
    held: Refused | None = None


def issue(
    *,
    customer,
    purpose,
    subject,
    mobile,
    ip,
    card_tail,
    account_tail,
    locale,
    host,
    terms,
    amount_fen=None,
):
    """Send a new code by SMS and return its Challenge; raises Refused or sms.SendFailed.
    A payment's code names the amount it authorises (amount_fen). terms: what the code
    authorises, as text (see terms()); check() must be given the same.

    Call it outside a transaction: it commits the challenge before the provider call, so no
    lock is held while the provider answers, and the records of a failure are kept.
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    _check_subject(subject)
    customer = _customer(customer)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    text = sms.code_text(
        code=code,
        purpose=purpose,
        card=card_tail,
        account=account_tail,
        locale=locale,
        host=host,
        amount_fen=amount_fen,
    )
    challenge, message = _open(customer, purpose, subject, mobile, ip or "", _Entry(code, terms))
    try:
        sms.send_code(message=message, text=text)
    except sms.SendFailed as exc:
        with db.database.atomic():
            challenge.move(Challenge.SENDING, Challenge.FAILED)
            _audit_challenge(
                "otp.send_failed",
                challenge,
                "failed",
                provider=message.provider,
                error_code=exc.code,
            )
        raise
    with db.database.atomic():
        Challenge.kill_active(subject, purpose, keep=challenge)
        challenge.move(Challenge.SENDING, Challenge.ACTIVE)
        _audit_challenge(
            "otp.issued",
            challenge,
            "ok",
            provider=message.provider,
            expires_at=challenge.expires_at,
        )
    challenge.status = Challenge.ACTIVE
    return challenge


def _open(customer, purpose, subject, mobile, ip, entry):
    """Under a lock, record the code as being sent, or raise Refused (audited) if it may not."""
    now = clock.now()
    with db.database.atomic():
        record = VerificationSubject.row(subject, now)
        if isinstance(db.database, PostgresqlDatabase):
            db.database.execute_sql("SELECT pg_advisory_xact_lock(%s)", (ISSUE_LOCK,))
        refusal = _refusal(record, customer, purpose, mobile, ip, now)
        if refusal is None:
            public_id = secrets.token_urlsafe(16)
            challenge = Challenge.create(
                public_id=public_id,
                customer=customer,
                purpose=purpose,
                subject=subject,
                masked_mobile=pii.mask_mobile(mobile),
                code_hash=_digest(public_id, entry),
                ip=ip,
                created_at=now,
                expires_at=now + VALID_FOR,
            )
            message = sms.queue_code(customer=customer, challenge=challenge, mobile=mobile, ip=ip)
            return challenge, message
        if refusal.reason == "codes_used_up":
            _lock(record, "codes_used_up", customer, now)
        _audit(
            "otp.refused",
            customer,
            subject,
            refusal.reason,
            purpose=purpose,
            mobile=pii.mask_mobile(mobile),
            retry_at=refusal.retry_at,
        )
    # Raised after the block so the refusal's audit event and lock are committed.
    raise refusal


def _refusal(record, customer, purpose, mobile, ip, now):
    """Why no code may be sent now (a Refused to raise), or None."""
    until = locked_until(record.subject, customer.id, now)
    if until is not None:
        return Refused("locked", until)
    if Challenge.issued_since(record.subject, record.counted_since) >= CODES_PER_SUBJECT:
        # The last code still works: asking again locks nothing, and it stays usable.
        live = Challenge.latest(record.subject, purpose, statuses=(Challenge.ACTIVE,))
        if live is not None and now < live.expires_at:
            return Refused("last_code", live.expires_at)
        return Refused("codes_used_up", now + LOCK_FOR)
    ceiling = _over_ceiling(mobile, ip, now, WINDOWS)
    last = Challenge.latest(record.subject, purpose)
    if last is None or now >= last.created_at + RESEND_AFTER:
        return ceiling
    # Of a wait and a limit, the customer is told the one that ends later.
    if ceiling is not None and ceiling.retry_at > last.created_at + RESEND_AFTER:
        return ceiling
    return Refused("cooldown", last.created_at + RESEND_AFTER)


def _over_ceiling(mobile, ip, now, reasons):
    """The Refused for the first of these sending ceilings that is reached, or None."""
    # Queries are lazy: each is counted only if the one before it passed.
    ceilings = (
        ("mobile_limit", SmsMessage.codes_to(mobile, now - MOBILE_WINDOW), SMS_PER_MOBILE),
        ("ip_limit", SmsMessage.codes_from(ip, now - IP_WINDOW), SMS_PER_IP),
        (
            "global_limit",
            SmsMessage.all_since(now - GLOBAL_WINDOW),
            current_app.config["SMS_GLOBAL_PER_MINUTE"],
        ),
    )
    for reason, sent, limit in ceilings:
        if reason not in reasons:
            continue
        # A ceiling of 0 (sending stopped by configuration) holds for a whole window.
        reached = SmsMessage.limit_reached_by(sent, limit) if limit > 0 else now
        if reached is not None:
            return Refused(reason, reached + WINDOWS[reason])
    return None


def check(*, customer, purpose, subject, challenge_id, code, terms):
    """Decide whether a code proves this purpose for this subject, on these terms (as given to
    issue(): a code sent for other terms is a wrong code); works in a caller's transaction.

    A correct code is consumed by a guarded UPDATE (... WHERE status = 'active'), so of two
    simultaneous correct submissions exactly one is "ok" and the other "used".
    """
    _check_subject(subject)
    customer = _customer(customer)
    challenge_id = str(challenge_id or "")[:64]
    entry = _Entry("".join(unicodedata.normalize("NFKC", str(code or "")).split()), terms)
    now = clock.now()
    with db.database.atomic():
        # A write first: SQLite then waits for the write lock instead of failing to upgrade a
        # read snapshot that a simultaneous check made stale.
        record = VerificationSubject.row(subject, now)
        result = _decide(customer, purpose, record, challenge_id, entry, now)
        _audit(
            "otp.checked",
            customer,
            subject,
            result.outcome,
            purpose=purpose,
            challenge=challenge_id,
            attempts_left=result.attempts_left,
            locked_until=result.locked_until,
        )
    return result


def _decide(customer, purpose, record, challenge_id, entry, now):
    """The CheckResult for one submitted code."""
    challenge, replaced = Challenge.entered(challenge_id, customer.id, record.subject, purpose, now)
    if (
        challenge is None
        or challenge.customer_id != customer.id
        or challenge.purpose != purpose
        or challenge.subject != record.subject
        or challenge.status in (Challenge.SENDING, Challenge.FAILED)
    ):
        return CheckResult("missing")
    until = locked_until(record.subject, customer.id, now)
    if until is not None:
        return CheckResult("locked", locked_until=until)
    if challenge.status != Challenge.ACTIVE:
        return CheckResult(_spent(challenge))
    if now >= challenge.expires_at:
        return CheckResult("expired")
    if _matches(challenge, entry):
        if challenge.move(Challenge.ACTIVE, Challenge.USED, used_at=now):
            return CheckResult("ok", WRONG_PER_CODE - challenge.attempts)
        return CheckResult(_spent(Challenge.get_by_id(challenge.id)))
    if any(_matches(earlier, entry) for earlier in replaced):
        # Typed from the text before a resend: said so, and no attempt is used up by it.
        left, lock_follows = _attempts_left(challenge.attempts, record.wrong_entries)
        return CheckResult("earlier", left, lock_follows=lock_follows)
    attempts = challenge.count_wrong_entry()
    if attempts is None:
        return CheckResult(_spent(Challenge.get_by_id(challenge.id)))
    wrong_in_all = record.count_wrong_entry()
    if wrong_in_all >= WRONG_PER_SUBJECT:
        return CheckResult("locked", locked_until=_lock(record, "wrong_entries", customer, now))
    if attempts >= WRONG_PER_CODE:
        challenge.move(Challenge.ACTIVE, Challenge.DEAD)
        return CheckResult("dead")
    left, lock_follows = _attempts_left(attempts, wrong_in_all)
    return CheckResult("wrong", left, lock_follows=lock_follows)


def _matches(challenge, entry):
    """Whether a code is the one a challenge sent, for the same terms (compared in constant
    time)."""
    return hmac.compare_digest(challenge.code_hash, _digest(challenge.public_id, entry))


def _attempts_left(attempts, wrong_in_all):
    """Wrong entries still allowed before the code dies or the subject locks, whichever comes
    first, and whether it is the lock."""
    for_code, for_subject = WRONG_PER_CODE - attempts, WRONG_PER_SUBJECT - wrong_in_all
    return min(for_code, for_subject), for_subject <= for_code


def _spent(challenge):
    """The outcome for a code that can no longer be used: used, replaced (a newer code was
    sent), dead (entered wrongly too often) or ended (its request changed, or was locked)."""
    if challenge.status == Challenge.USED:
        return "used"
    if challenge.status == Challenge.SUPERSEDED:
        return "replaced"
    return "dead" if challenge.attempts >= WRONG_PER_CODE else "ended"


def _lock(record, reason, customer, now):
    """Lock the subject for 30 minutes and end its active codes; returns the lock's end."""
    until = now + LOCK_FOR
    record.lock(reason, until, now)
    Challenge.kill_active(record.subject)
    _audit("otp.locked", None, record.subject, reason, customer_id=customer.id, locked_until=until)
    return until


def state(*, subject, purpose, customer, mobile=None):
    """Where a subject's verification for this purpose stands, for the page to show; given the
    mobile number codes go to, also whether its daily limit holds new codes."""
    now = clock.now()
    customer_id = customer if isinstance(customer, int) else customer.id
    record, locked_until = VerificationSubject.with_customer_lock(subject, customer_id, now)
    # The codes counted towards the limit, and any sent too recently to send another.
    counted_since = record.counted_since if record else None
    since = min(counted_since, now - RESEND_AFTER) if counted_since else None
    codes = Challenge.issued_list(subject, since, purpose)
    issued = sum(1 for c in codes if counted_since is None or c.created_at >= counted_since)
    mine = [c for c in codes if c.purpose == purpose]
    last = mine[0] if mine else None
    current = next((c for c in mine if c.status == Challenge.ACTIVE), None)
    if current is not None and (locked_until or now >= current.expires_at):
        current = None
    resend_at = last.created_at + RESEND_AFTER if last else None
    attempts_left, lock_follows = 0, False
    if current is not None:
        wrong_in_all = record.wrong_entries if record else 0
        attempts_left, lock_follows = _attempts_left(current.attempts, wrong_in_all)
    codes_left = max(0, CODES_PER_SUBJECT - issued)
    held = None
    if mobile is not None and not locked_until and codes_left:
        held = mobile_held(mobile, now)
    return VerificationState(
        challenge=current,
        masked_mobile=current.masked_mobile if current else "",
        expires_at=current.expires_at if current else None,
        attempts_left=attempts_left,
        resend_at=resend_at if resend_at and now < resend_at else None,
        codes_left=codes_left,
        locked_until=locked_until,
        lock_follows=lock_follows,
        held=held,
    )


def locked_until(subject, customer_id, now=None):
    """When the lock that holds new codes for this subject (its own, or any other of the
    customer's) ends; None when nothing is locked."""
    return VerificationSubject.with_customer_lock(subject, customer_id, now or clock.now())[1]


def mobile_held(mobile, now=None):
    """A Refused("mobile_limit") while the mobile number has had all its codes for 24 hours
    (any customer, any purpose), saying when the next may go; else None."""
    return _over_ceiling(mobile, "", now or clock.now(), ("mobile_limit",))


def unlock(*, subject, agent, reason):
    """Lift a lock for a customer-service agent, with their reason; raises NotLocked if none."""
    if not (reason or "").strip():
        raise ValueError("an unlock needs a reason")
    with db.database.atomic():
        if not VerificationSubject.lift(subject, clock.now()):
            raise NotLocked(subject)
        audit.record(
            "otp.unlocked",
            actor=agent,
            customer=Challenge.customer_of(subject),
            subject=subject,
            reason=logs.scrub(reason.strip()),
        )


def _check_subject(subject):
    if not isinstance(subject, str) or not 0 < len(subject) <= 100:
        raise ValueError("a subject is 1 to 100 characters, like application:SSB-7K3M9QXD")


def _customer(customer):
    """A Customer from a Customer, a Flask-Login proxy of one, or an id."""
    if hasattr(customer, "_get_current_object"):
        customer = customer._get_current_object()
    return customer if isinstance(customer, Customer) else Customer.get_by_id(customer)


@dataclass(frozen=True)
class _Entry:
    """A code with the terms it is sent for, or entered to prove."""

    code: str
    terms: str


def terms(**named):
    """What a code authorises, as check() and issue() take it: the named values in a fixed
    order (terms(card="M31452876", account="6222...") is terms(account=..., card=...))."""
    if not named:
        raise ValueError("a code authorises something: name it")
    return json.dumps({name: str(value) for name, value in named.items()}, sort_keys=True)


def _digest(public_id, entry):
    """The keyed hash of a code, bound to its challenge's public id and its terms."""
    message = json.dumps([public_id, entry.code, entry.terms]).encode()
    return hmac.new(_code_key(), message, hashlib.sha256).hexdigest()


def _code_key():
    config = current_app.config
    secret = (config.get("OTP_KEY") or config["SECRET_KEY"]).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ssb-otp-code").derive(
        secret
    )


def _audit_challenge(action, challenge, outcome, **detail):
    _audit(
        action,
        challenge.customer,
        challenge.subject,
        outcome,
        purpose=challenge.purpose,
        challenge=challenge.public_id,
        mobile=challenge.masked_mobile,
        **detail,
    )


def _audit(action, customer, subject, outcome, **detail):
    """An audit event about a subject's codes (times as ISO text, masked data only)."""
    customer_id = detail.pop("customer_id", customer.id if customer else None)
    detail = {
        name: value.isoformat() if isinstance(value, datetime.datetime) else value
        for name, value in detail.items()
    }
    audit.record(
        action,
        actor=customer,
        customer=customer_id,
        subject=subject,
        outcome=outcome,
        **detail,
    )
