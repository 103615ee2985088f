"""Electronic signature records of binding agreements (E-Signature Law arts. 5, 6, 13)."""

from peewee import CharField, DateTimeField, ForeignKeyField, Model


def up(migrator, db):
    class Customer(Model):
        class Meta:
            table_name = "customer"

    class Application(Model):
        class Meta:
            table_name = "application"

    class SignatureRecord(Model):
        application = ForeignKeyField(Application, unique=True, on_delete="RESTRICT")
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
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

        class Meta:
            table_name = "signature_record"

    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models.
    with db.bind_ctx([Customer, Application, SignatureRecord]):
        db.create_tables([SignatureRecord])
