"""Paying social insurance fees from the bound account, exactly once.

The confirm page carries an idempotency key. Paying checks the SMS code (purpose "pay", subject
"payment:<customer id>:<key>", terms: the item, base, amount and account its text named),
debits the account with one conditional UPDATE that never goes below zero, writes the payment and the registry's
record of it, all in one transaction. Only one check of a code can be "ok", and the key is unique
in the payments table, so a double tap, a resubmitted form or a retry pays once and finds the
same receipt. A refusal changes nothing.
"""

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from peewee import IntegrityError

from webapp import audit, clock, otp, registry
from webapp.extensions import db
from webapp.models import Account, Payment
from webapp.models.payments import new_receipt_number
from webapp.social_security import BOUND, NONE

PURPOSE = "pay"
KEY = re.compile(r"[A-Za-z0-9_-]{22,64}")
BASE = re.compile(r"\d{1,9}(\.\d{1,2})?")


class Refused(Exception):
    """Nothing was paid and nothing changed; reason says why (see REASONS in the views)."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class NotFound(Exception):
    """The idempotency key names another customer's payment."""


@dataclass(frozen=True)
class Quote:
    """What paying an item would take: the item, the chosen base, the amount and the account."""

    item: registry.PayableItem
    base_fen: int | None
    amount_fen: int
    account: Account

    @property
    def affordable(self):
        """True when the account's balance covers the amount."""
        return self.account.balance_fen >= self.amount_fen


@dataclass(frozen=True)
class Outcome:
    """A payment (new, or found again under its key), or the code check that stopped it."""

    payment: Payment | None = None
    check: otp.CheckResult | None = None
    replayed: bool = False


def new_key():
    """A fresh idempotency key for one confirm form."""
    return secrets.token_urlsafe(24)


def subject_of(customer_id, key):
    """The verification subject of a payment's code: the customer's own, so a key another
    customer sends (the form carries it) never shares its counts or its lock."""
    return f"payment:{customer_id}:{key}"


def terms_of(quote_):
    """What a payment's code authorises: this item, at this base and amount, from this account."""
    return otp.terms(
        item=quote_.item.code,
        base=quote_.base_fen,
        amount=quote_.amount_fen,
        account=quote_.account.number,
    )


def parse_base(text):
    """A base typed in yuan ("6000", "6,000.50") as fen, or None when it is not a number."""
    cleaned = "".join((text or "").replace(",", "").replace("，", "").split())
    if not BASE.fullmatch(cleaned):
        return None
    try:
        return int(Decimal(cleaned) * 100)
    except InvalidOperation:
        return None


def quote(access, code, base_fen, today):
    """The quote for paying an item now, or Refused with the reason it cannot be paid."""
    if access.state == NONE:
        raise Refused("no_binding")
    if access.state != BOUND:
        raise Refused("suspended")
    item = registry.payable_item(access.id_number, code)
    if item is None:
        raise Refused("unknown_item")
    if item.paid:
        raise Refused("paid")
    if today < item.opens_on:
        raise Refused("not_open")
    if today > item.closes_on:
        raise Refused("closed")
    if item.has_base:
        if base_fen is None:
            raise Refused("base_missing")
        if not item.base_allowed(base_fen):
            raise Refused("base_range")
    else:
        base_fen = None
    account = access.account
    if account.ineligibility is not None:
        raise Refused("account_unavailable")
    return Quote(item, base_fen, item.amount_for(base_fen), account)


def paid_under(key, customer_id):
    """The customer's payment made under this key, or None; NotFound if it is another's."""
    if not KEY.fullmatch(key or ""):
        raise NotFound(key)
    payment = Payment.by_key(key)
    if payment is not None and payment.customer_id != customer_id:
        raise NotFound(key)
    return payment


def send_code(access, quote_, key, *, ip, locale, host):
    """Text the code that authorises this payment (raises Refused, otp.Refused, sms.SendFailed)."""
    if not KEY.fullmatch(key or ""):
        raise NotFound(key)
    if not quote_.affordable:
        raise Refused("insufficient")
    return otp.issue(
        customer=access.customer,
        purpose=PURPOSE,
        subject=subject_of(access.customer.id, key),
        mobile=quote_.account.reserved_mobile,
        ip=ip,
        card_tail=access.binding.card_number,
        account_tail=quote_.account.number,
        locale=locale,
        host=host,
        terms=terms_of(quote_),
        amount_fen=quote_.amount_fen,
    )


def pay(access, code, base_fen, key, *, challenge_id, sms_code, today):
    """Check the code and pay once; returns an Outcome, or raises Refused / NotFound."""
    customer_id = access.customer.id
    existing = paid_under(key, customer_id)
    if existing is not None:
        return Outcome(existing, replayed=True)
    quote_ = quote(access, code, base_fen, today)
    try:
        with db.database.atomic():
            result = otp.check(
                customer=access.customer,
                purpose=PURPOSE,
                subject=subject_of(customer_id, key),
                challenge_id=challenge_id,
                code=sms_code,
                terms=terms_of(quote_),
            )
            if result.outcome == "ok":
                return Outcome(_debit_and_record(access, quote_, key), result)
    except IntegrityError:
        # Another request with this key committed first: that payment is this one.
        existing = paid_under(key, customer_id)
        if existing is None:
            raise
        return Outcome(existing, replayed=True)
    except (Refused, registry.NotPayable) as exc:
        _audit_refusal(access, quote_, exc.reason)
        raise Refused(exc.reason) from None
    if result.outcome == "used":
        existing = paid_under(key, customer_id)
        if existing is not None:
            return Outcome(existing, result, replayed=True)
    return Outcome(check=result)


def _debit_and_record(access, quote_, key):
    """Debit, record the registry's payment and the bank's; inside the caller's transaction."""
    now = clock.now()
    debited = (
        Account.update(balance_fen=Account.balance_fen - quote_.amount_fen)
        .where(
            Account.id == quote_.account.id,
            Account.status == Account.ACTIVE,
            Account.balance_fen >= quote_.amount_fen,
        )
        .execute()
    )
    if debited != 1:
        # Raising rolls the code check back too: the customer may top up and use the same code.
        raise Refused("insufficient")
    receipt_number = new_receipt_number()
    reference = registry.record_payment(
        access.id_number,
        quote_.item.code,
        base_fen=quote_.base_fen,
        amount_fen=quote_.amount_fen,
        bank_reference=receipt_number,
        paid_at=now,
    )
    payment = Payment.create(
        receipt_number=receipt_number,
        idempotency_key=key,
        customer=access.customer.id,
        account=quote_.account.id,
        binding=access.binding.id,
        item_code=quote_.item.code,
        item_kind=quote_.item.kind,
        period=quote_.item.period,
        base_fen=quote_.base_fen,
        amount_fen=quote_.amount_fen,
        registry_reference=reference,
        paid_at=now,
    )
    audit.record(
        "payment.paid",
        actor=access.customer,
        customer=access.customer.id,
        subject=receipt_number,
        item=quote_.item.code,
        amount_fen=quote_.amount_fen,
        account=quote_.account.masked_number,
        registry_reference=reference,
    )
    return payment


def _audit_refusal(access, quote_, reason):
    audit.record(
        "payment.refused",
        actor=access.customer,
        customer=access.customer.id,
        subject=quote_.item.code,
        outcome="refused",
        reason=reason,
        amount_fen=quote_.amount_fen,
        account=quote_.account.masked_number,
    )
