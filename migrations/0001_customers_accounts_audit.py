"""Customers, bank accounts and the audit log."""

import datetime

from peewee import (
    SQL,
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):
    class Customer(Model):
        username = CharField(max_length=40, unique=True)
        password_hash = CharField(max_length=255)
        name = CharField(max_length=30)
        id_number = TextField()
        id_number_index = CharField(max_length=64, index=True)
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "customer"

    class Account(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        number = TextField()
        number_index = CharField(max_length=64, unique=True)
        kind = CharField(max_length=10)
        currency = CharField(max_length=3)
        status = CharField(max_length=10)
        balance_fen = BigIntegerField(constraints=[SQL("CHECK (balance_fen >= 0)")])
        reserved_mobile = TextField(null=True)
        reserved_mobile_index = CharField(max_length=64, null=True, index=True)
        label = CharField(max_length=40)

        class Meta:
            table_name = "account"

    class AuditEvent(Model):
        at = DateTimeField(index=True)
        actor_kind = CharField(max_length=10)
        actor_id = IntegerField(null=True)
        actor_name = CharField(max_length=40)
        action = CharField(max_length=60)
        outcome = CharField(max_length=20)
        customer = ForeignKeyField(Customer, null=True, on_delete="RESTRICT")
        subject = CharField(max_length=40, index=True)
        detail = TextField()
        request_id = CharField(max_length=32)
        ip = CharField(max_length=45)

        class Meta:
            table_name = "audit_event"

    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models.
    with db.bind_ctx([Customer, Account, AuditEvent]):
        db.create_tables([Customer, Account, AuditEvent])
