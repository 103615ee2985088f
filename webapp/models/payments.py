"""Social insurance fees paid from a bound account: one row per payment, written with the debit."""

import secrets

from peewee import SQL, BigIntegerField, CharField, DateTimeField, ForeignKeyField

from webapp import clock
from webapp.models.base import BaseModel
from webapp.models.binding import REFERENCE_ALPHABET, Binding
from webapp.models.customers import Account, Customer


def new_receipt_number():
    """A random, unguessable receipt number such as SSP-7K3M9QXD2H."""
    return "SSP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(10))


class Payment(BaseModel):
    """A fee paid: which item, how much, from which account, and the registry's reference.

    idempotency_key comes from the confirm form; its unique index means one form pays once.
    A row exists only for a completed payment: it is written in the debit's transaction.
    """

    receipt_number = CharField(max_length=16, unique=True, default=new_receipt_number)
    idempotency_key = CharField(max_length=64, unique=True)
    customer = ForeignKeyField(Customer, backref="payments", on_delete="RESTRICT")
    account = ForeignKeyField(Account, on_delete="RESTRICT")
    binding = ForeignKeyField(Binding, on_delete="RESTRICT")
    item_code = CharField(max_length=30)
    item_kind = CharField(max_length=30)
    period = CharField(max_length=7)
    base_fen = BigIntegerField(null=True)
    amount_fen = BigIntegerField(constraints=[SQL("CHECK (amount_fen > 0)")])
    registry_reference = CharField(max_length=20)
    paid_at = DateTimeField(default=clock.now, index=True)

    @classmethod
    def for_customer(cls, customer):
        """The customer's payments with their accounts, newest first (one query)."""
        return (
            cls.select(cls, Account)
            .join(Account)
            .where(cls.customer == customer)
            .order_by(cls.paid_at.desc(), cls.id.desc())
        )

    @classmethod
    def owned(cls, customer, receipt_number):
        """The customer's payment with this receipt number, or None (never another's)."""
        return cls.for_customer(customer).where(cls.receipt_number == receipt_number).first()

    @classmethod
    def by_key(cls, idempotency_key):
        """The payment made under this idempotency key, or None."""
        return cls.get_or_none(cls.idempotency_key == idempotency_key)
