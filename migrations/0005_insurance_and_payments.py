"""The local registry's social insurance records, and the bank's fee payments.

One registry payment per payable item and one bank payment per idempotency key, each enforced by
a unique index, so a retried or doubled payment can never be written twice.
"""

from peewee import (
    SQL,
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

REGISTRY_TABLES = (
    "registry_payment",
    "registry_payable_item",
    "registry_account_balance",
    "registry_contribution",
    "registry_participation",
    "registry_employment",
    "registry_insured_person",
)


def up(migrator, db):
    class Customer(Model):
        class Meta:
            table_name = "customer"

    class Account(Model):
        class Meta:
            table_name = "account"

    class Binding(Model):
        class Meta:
            table_name = "binding"

    class Person(Model):
        id_number = TextField()
        id_number_index = CharField(max_length=64, unique=True)
        name = CharField(max_length=30)
        region = CharField(max_length=6)
        updated_at = DateTimeField()

        class Meta:
            table_name = "registry_insured_person"

    class Employment(Model):
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        employer = CharField(max_length=100)
        started_on = DateField()
        registered_on = DateField()
        ended_on = DateField(null=True)

        class Meta:
            table_name = "registry_employment"

    class Participation(Model):
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        insurance_type = CharField(max_length=20)
        status = CharField(max_length=20)
        started_on = DateField()

        class Meta:
            table_name = "registry_participation"
            indexes = ((("person", "insurance_type"), True),)

    class Contribution(Model):
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        month = DateField()
        insurance_type = CharField(max_length=20)
        base_fen = BigIntegerField()
        employer_fen = BigIntegerField()
        personal_fen = BigIntegerField()
        status = CharField(max_length=10)
        paid_by = CharField(max_length=10)
        paying_unit = CharField(max_length=100)

        class Meta:
            table_name = "registry_contribution"
            indexes = ((("person", "month", "insurance_type"), True),)

    class Balance(Model):
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        kind = CharField(max_length=10)
        balance_fen = BigIntegerField()
        as_of = DateField()

        class Meta:
            table_name = "registry_account_balance"
            indexes = ((("person", "kind"), True),)

    class PayableItem(Model):
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        code = CharField(max_length=30)
        kind = CharField(max_length=30)
        period = CharField(max_length=7)
        amount_fen = BigIntegerField(null=True)
        base_min_fen = BigIntegerField(null=True)
        base_max_fen = BigIntegerField(null=True)
        rate_bp = IntegerField(null=True)
        opens_on = DateField()
        closes_on = DateField()
        paid_at = DateTimeField(null=True)

        class Meta:
            table_name = "registry_payable_item"
            indexes = ((("person", "code"), True),)

    class RegistryPayment(Model):
        reference = CharField(max_length=20, unique=True)
        person = ForeignKeyField(Person, on_delete="RESTRICT")
        item = ForeignKeyField(PayableItem, unique=True, on_delete="RESTRICT")
        bank_reference = CharField(max_length=20, unique=True)
        base_fen = BigIntegerField(null=True)
        amount_fen = BigIntegerField()
        paid_at = DateTimeField()

        class Meta:
            table_name = "registry_payment"

    class Payment(Model):
        receipt_number = CharField(max_length=16, unique=True)
        idempotency_key = CharField(max_length=64, unique=True)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        account = ForeignKeyField(Account, on_delete="RESTRICT")
        binding = ForeignKeyField(Binding, on_delete="RESTRICT")
        item_code = CharField(max_length=30)
        item_kind = CharField(max_length=30)
        period = CharField(max_length=7)
        base_fen = BigIntegerField(null=True)
        amount_fen = BigIntegerField(constraints=[SQL("CHECK (amount_fen > 0)")])
        registry_reference = CharField(max_length=20)
        paid_at = DateTimeField(index=True)

        class Meta:
            table_name = "payment"

    tables = [Person, Employment, Participation, Contribution, Balance, PayableItem]
    tables += [RegistryPayment, Payment]
    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models (code that lists the models bound to the database would find both).
    with db.bind_ctx([Customer, Account, Binding, *tables]):
        db.create_tables(tables)


def down(migrator, db):
    db.execute_sql("DROP TABLE payment")
    for table in REGISTRY_TABLES:
        db.execute_sql(f"DROP TABLE {table}")
