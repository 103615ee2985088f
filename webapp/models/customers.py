"""Customers, their bank accounts, and the append-only audit log."""

import json

from flask_login import UserMixin
from peewee import (
    SQL,
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from webapp import clock, pii
from webapp.models.base import BaseModel
from webapp.prepared import Prepared


class Customer(UserMixin, BaseModel):
    """An online-banking customer, with the bank's KYC record of their identity."""

    actor_kind = "customer"
    idle_setting = "CUSTOMER_IDLE_MINUTES"

    username = CharField(max_length=40, unique=True)
    password_hash = CharField(max_length=255)
    name = CharField(max_length=30)
    id_number = pii.EncryptedField()
    id_number_index = pii.BlindIndexField("ric", "id_number", index=True)
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    session_token = CharField(max_length=32, default="")
    previous_session_token = CharField(max_length=32, default="")
    session_renewed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=clock.now)

    @classmethod
    def by_id_number(cls, id_number):
        """The customer whose KYC ID number is exactly this, or None."""
        return cls.get_or_none(cls.id_number_index == id_number)

    @property
    def masked_name(self):
        return pii.mask_name(self.name)

    def get_id(self):
        return f"customer:{self.id}:{self.session_token}"


class Account(BaseModel):
    """A bank account of a customer; balance in fen (1/100 CNY)."""

    DEBIT, CREDIT = "debit", "credit"
    ACTIVE, FROZEN, CLOSED = "active", "frozen", "closed"

    customer = ForeignKeyField(Customer, backref="accounts", on_delete="RESTRICT")
    number = pii.EncryptedField()
    number_index = pii.BlindIndexField("account", "number", unique=True)
    kind = CharField(max_length=10, default=DEBIT)
    currency = CharField(max_length=3, default="CNY")
    status = CharField(max_length=10, default=ACTIVE)
    balance_fen = BigIntegerField(default=0, constraints=[SQL("CHECK (balance_fen >= 0)")])
    reserved_mobile = pii.EncryptedField(null=True)
    reserved_mobile_index = pii.BlindIndexField("mobile", "reserved_mobile", null=True, index=True)
    label = CharField(max_length=40, default="")

    @property
    def masked_number(self):
        return pii.mask_tail(self.number)

    @property
    def masked_mobile(self):
        return pii.mask_mobile(self.reserved_mobile)

    @property
    def ineligibility(self):
        """Why this account cannot take a binding, or None when it can."""
        if self.status != self.ACTIVE:
            return self.status
        if self.kind != self.DEBIT:
            return "not_debit"
        if self.currency != "CNY":
            return "not_cny"
        if not self.reserved_mobile:
            return "no_mobile"
        return None

    @classmethod
    def of(cls, customer):
        """The customer's accounts in a stable order."""
        return cls.select().where(cls.customer == customer).order_by(cls.id)

    @classmethod
    def listed_for(cls, customer):
        """The customer's accounts in a stable order, as a list; the query pages ask most."""
        return _accounts_of.all(cls.customer.db_value(customer))


_accounts_of = Prepared(
    lambda customer: Account.select().where(Account.customer == customer).order_by(Account.id)
)


class AuditEvent(BaseModel):
    """One thing that happened: who, what, to whom, with what outcome. Never updated or deleted."""

    at = DateTimeField(default=clock.now, index=True)
    actor_kind = CharField(max_length=10)  # customer, agent, system
    actor_id = IntegerField(null=True)
    actor_name = CharField(max_length=40, default="")
    action = CharField(max_length=60)
    outcome = CharField(max_length=20, default="ok")
    customer = ForeignKeyField(Customer, null=True, backref="events", on_delete="RESTRICT")
    subject = CharField(max_length=40, default="", index=True)
    detail = TextField(default="{}")
    request_id = CharField(max_length=32, default="")
    ip = CharField(max_length=45, default="")

    def save(self, *args, **kwargs):
        if self.id is not None and not kwargs.get("force_insert"):
            raise PermissionError("audit events are append-only")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")

    @property
    def details(self):
        return json.loads(self.detail or "{}")
