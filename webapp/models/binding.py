"""Binding applications and the bindings they create."""

import secrets

from peewee import JOIN, SQL, CharField, DateTimeField, ForeignKeyField, IntegerField

from webapp import clock, pii
from webapp.models.base import BaseModel
from webapp.models.customers import Account, Customer
from webapp.prepared import Prepared

# No 0/O, 1/I/L: references are read aloud to call-centre agents.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

DRAFT = "draft"
AWAITING_VERIFICATION = "awaiting_verification"
BOUND = "bound"
CANCELLED = "cancelled"
EXPIRED = "expired"
OPEN_STATUSES = (DRAFT, AWAITING_VERIFICATION)


def new_reference():
    """A random, unguessable public reference such as SSB-7K3M9QXD."""
    return "SSB-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))


class Application(BaseModel):
    """One customer's request to bind a card (or move a binding to another account)."""

    BIND, CHANGE_ACCOUNT = "bind", "change_account"

    reference = CharField(max_length=12, unique=True, default=new_reference)
    customer = ForeignKeyField(Customer, backref="applications", on_delete="RESTRICT")
    purpose = CharField(max_length=20, default=BIND)
    status = CharField(max_length=30, default=DRAFT, index=True)
    step = IntegerField(default=1)
    full_name = CharField(max_length=30, null=True)
    id_number = pii.EncryptedField(null=True)
    id_number_index = pii.BlindIndexField("ric", "id_number", null=True, index=True)
    card_number = pii.EncryptedField(null=True)
    card_number_index = pii.BlindIndexField("card", "card_number", null=True, index=True)
    region = CharField(max_length=6, null=True)
    account = ForeignKeyField(Account, null=True, on_delete="RESTRICT")
    replaces = ForeignKeyField("self", null=True, on_delete="RESTRICT")
    agreement_version = CharField(max_length=20, null=True)
    agreement_language = CharField(max_length=5, null=True)
    agreement_sha256 = CharField(max_length=64, null=True)
    consented_at = DateTimeField(null=True)
    consent_ip = CharField(max_length=45, null=True)
    consent_user_agent = CharField(max_length=255, null=True)
    failure = CharField(max_length=40, null=True)
    created_at = DateTimeField(default=clock.now)
    updated_at = DateTimeField(default=clock.now, index=True)
    submitted_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def masked_card(self):
        return pii.mask_tail(self.card_number)

    @classmethod
    def open_for(cls, customer):
        """The customer's open application, or None."""
        return _open_application.first(cls.customer.db_value(customer))

    @classmethod
    def owned(cls, customer, reference, with_account=False):
        """The customer's application with this reference, or None (never another's); with its
        account read in the same statement if asked (decrypting its fields costs pages that do
        not show it). Given the Customer rather than an id, the application carries it."""
        query = _owned_with_account if with_account else _owned_application
        return _carrying(query.first(reference, cls.customer.db_value(customer)), customer)

    @classmethod
    def history(cls, customer):
        """All the customer's applications with their accounts, newest first."""
        return (
            cls.select(cls, Account)
            .join(Account, JOIN.LEFT_OUTER, on=(cls.account == Account.id))
            .where(cls.customer == customer)
            .order_by(cls.id.desc())
        )


class Binding(BaseModel):
    """A card bound to an account. The database allows one active binding per card and customer."""

    ACTIVE, ENDED = "active", "ended"

    customer = ForeignKeyField(Customer, backref="bindings", on_delete="RESTRICT")
    card_number = pii.EncryptedField()
    card_number_index = pii.BlindIndexField("card", "card_number", index=True)
    region = CharField(max_length=6)
    account = ForeignKeyField(Account, on_delete="RESTRICT")
    application = ForeignKeyField(Application, on_delete="RESTRICT")
    status = CharField(
        max_length=10, default=ACTIVE, constraints=[SQL("CHECK (status IN ('active', 'ended'))")]
    )
    bound_at = DateTimeField(default=clock.now)
    ended_at = DateTimeField(null=True)
    end_reason = CharField(max_length=40, null=True)

    @property
    def masked_card(self):
        return pii.mask_tail(self.card_number)

    @classmethod
    def active_for(cls, customer):
        """The customer's active binding with its account (pages show it: one query), or None.
        Given the Customer rather than an id, the binding carries it."""
        return _carrying(_active_binding.first(cls.customer.db_value(customer)), customer)

    @classmethod
    def shown_for(cls, customer):
        """The customer's active binding as the dashboard and My binding show it (its card and
        account number, not the indexes or the reserved mobile), or None."""
        return _shown_binding.first(cls.customer.db_value(customer))

    @classmethod
    def ended_since(cls, customer_id, since):
        """The customer's binding ended at or after this time, the newest; or None."""
        return (
            cls.select()
            .where(cls.customer == customer_id, cls.status == cls.ENDED, cls.ended_at >= since)
            .order_by(cls.ended_at.desc())
            .first()
        )

    @classmethod
    def active_for_card(cls, card_number):
        """The active binding of this card, or None."""
        return cls.get_or_none(cls.card_number_index == card_number, cls.status == cls.ACTIVE)

    @classmethod
    def history(cls, customer):
        """All the customer's bindings with their accounts, newest first."""
        return (
            cls.select(cls, Account)
            .join(Account, on=(cls.account == Account.id))
            .where(cls.customer == customer)
            .order_by(cls.id.desc())
        )


# Asked on nearly every page a customer opens: compiled once (see webapp.prepared).
_open_application = Prepared(
    lambda customer: (
        Application.select()
        .where(Application.customer == customer, Application.status.in_(OPEN_STATUSES))
        .order_by(Application.id.desc())
        .limit(1)
    )
)


def _carrying(found, customer):
    """A row found for a customer, carrying the Customer when given one rather than an id, so
    that reading it does not load the customer again."""
    if found is not None and isinstance(customer, Customer):
        found.customer = customer
    return found


_owned_application = Prepared(
    lambda reference, customer: (
        Application.select()
        .where(Application.reference == reference, Application.customer == customer)
        .limit(1)
    )
)
_owned_with_account = Prepared(
    lambda reference, customer: (
        Application.select(Application, Account)
        .join(Account, JOIN.LEFT_OUTER, on=(Application.account == Account.id))
        .where(Application.reference == reference, Application.customer == customer)
        .limit(1)
    )
)
_active_binding = Prepared(
    lambda customer: (
        Binding.select(Binding, Account)
        .join(Account)
        .where(Binding.customer == customer, Binding.status == Binding.ACTIVE)
        .limit(1)
    )
)

_shown_binding = Prepared(
    lambda customer: (
        Binding.select(
            Binding.id,
            Binding.customer,
            Binding.card_number,
            Binding.region,
            Binding.account,
            Binding.application,
            Binding.status,
            Binding.bound_at,
            Account.id,
            Account.number,
        )
        .join(Account)
        .where(Binding.customer == customer, Binding.status == Binding.ACTIVE)
        .limit(1)
    )
)


class SignatureRecord(BaseModel):
    """The electronic signature of a binding agreement, sealed with a server-keyed HMAC."""

    application = ForeignKeyField(Application, unique=True, on_delete="RESTRICT")
    customer = ForeignKeyField(Customer, backref="signatures", on_delete="RESTRICT")
    agreement_version = CharField(max_length=20)
    agreement_language = CharField(max_length=5)
    agreement_sha256 = CharField(max_length=64)
    masked_card = CharField(max_length=12)
    masked_account = CharField(max_length=12)
    consented_at = DateTimeField()
    verified_at = DateTimeField()
    challenge_id = CharField(max_length=64)
    ip = CharField(max_length=45)
    user_agent = CharField(max_length=255)
    seal = CharField(max_length=64)

    @classmethod
    def of(cls, application):
        """The signature record of an application, or None."""
        return cls.get_or_none(cls.application == application)
