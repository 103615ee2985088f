"""The local registry's cards, binding applications and bindings.

Partial unique indexes make the database itself refuse a second open application per customer
and a second active binding per card or per customer.
"""

import datetime

from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Customer(Model):
        class Meta:
            table_name = "customer"

    class Account(Model):
        class Meta:
            table_name = "account"

    class RegistryCard(Model):
        number = TextField()
        number_index = CharField(max_length=64, unique=True)
        holder_name = CharField(max_length=30)
        id_number = TextField()
        id_number_index = CharField(max_length=64, index=True)
        region = CharField(max_length=6)
        status = CharField(max_length=20)
        updated_at = DateTimeField(default=datetime.datetime.utcnow)

        class Meta:
            table_name = "registry_card"

    class Application(Model):
        reference = CharField(max_length=12, unique=True)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        purpose = CharField(max_length=20)
        status = CharField(max_length=30, index=True)
        step = IntegerField()
        full_name = CharField(max_length=30, null=True)
        id_number = TextField(null=True)
        id_number_index = CharField(max_length=64, null=True, index=True)
        card_number = TextField(null=True)
        card_number_index = CharField(max_length=64, null=True, index=True)
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
        created_at = DateTimeField()
        updated_at = DateTimeField(index=True)
        submitted_at = DateTimeField(null=True)
        closed_at = DateTimeField(null=True)

        class Meta:
            table_name = "application"

    class Binding(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        card_number = TextField()
        card_number_index = CharField(max_length=64, index=True)
        region = CharField(max_length=6)
        account = ForeignKeyField(Account, on_delete="RESTRICT")
        application = ForeignKeyField(Application, on_delete="RESTRICT")
        status = CharField(
            max_length=10, constraints=[SQL("CHECK (status IN ('active', 'ended'))")]
        )
        bound_at = DateTimeField()
        ended_at = DateTimeField(null=True)
        end_reason = CharField(max_length=40, null=True)

        class Meta:
            table_name = "binding"

    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models.
    with db.bind_ctx([Customer, Account, RegistryCard, Application, Binding]):
        db.create_tables([RegistryCard, Application, Binding])
    for statement in (
        "CREATE UNIQUE INDEX application_one_open_per_customer ON application (customer_id) "
        "WHERE status IN ('draft', 'awaiting_verification')",
        "CREATE UNIQUE INDEX binding_one_active_per_card ON binding (card_number_index) "
        "WHERE status = 'active'",
        "CREATE UNIQUE INDEX binding_one_active_per_customer ON binding (customer_id) "
        "WHERE status = 'active'",
    ):
        db.execute_sql(statement)
