"""Electronic signature records: what the customer agreed to, when, and how they proved it.

Each record is sealed with an HMAC over all its fields under a server key (SIGNATURE_KEY), so a
later change to any field is detectable (E-Signature Law art. 13).
"""

import hashlib
import hmac

from flask import current_app

from webapp import pii
from webapp.models import SignatureRecord

SEALED_FIELDS = (
    "application_id",
    "customer_id",
    "agreement_version",
    "agreement_language",
    "agreement_sha256",
    "masked_card",
    "masked_account",
    "consented_at",
    "verified_at",
    "challenge_id",
    "ip",
    "user_agent",
)


def create(application, *, challenge_id, verified_at, ip, user_agent):
    """Write and seal the signature record of a verified application."""
    record = SignatureRecord(
        application=application,
        customer=application.customer_id,
        agreement_version=application.agreement_version,
        agreement_language=application.agreement_language,
        agreement_sha256=application.agreement_sha256,
        masked_card=pii.mask_tail(application.card_number),
        masked_account=application.account.masked_number,
        consented_at=application.consented_at,
        verified_at=verified_at,
        challenge_id=challenge_id,
        ip=(ip or "")[:45],
        user_agent=(user_agent or "")[:255],
    )
    record.seal = seal(record)
    record.save()
    return record


def seal(record):
    """The HMAC-SHA256 over every sealed field of a record."""
    message = "\x1f".join(_canonical(getattr(record, name)) for name in SEALED_FIELDS)
    key = current_app.config["SIGNATURE_KEY"].encode()
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def intact(record):
    """Whether a record still matches its seal."""
    # As bytes: a seal changed to text that is not ASCII is a mismatch, not an error.
    return hmac.compare_digest((record.seal or "").encode(), seal(record).encode())


def tampered():
    """Every record whose seal no longer matches."""
    return [
        record
        for record in SignatureRecord.select().order_by(SignatureRecord.id)
        if not intact(record)
    ]


def count():
    """How many signature records there are."""
    return SignatureRecord.select().count()


def _canonical(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)
