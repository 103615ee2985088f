"""One-time-code challenges, the lock and counters of what they authorise, and the SMS sent.

The SMS table carries the indexes the sending limits count with: per mobile number, per client
IP, and by time for the global ceiling.
"""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, Model, TextField


def up(migrator, db):
    class Customer(Model):
        class Meta:
            table_name = "customer"

    class Challenge(Model):
        public_id = CharField(max_length=32, unique=True)
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        purpose = CharField(max_length=20)
        subject = CharField(max_length=100)
        masked_mobile = CharField(max_length=20)
        code_hash = CharField(max_length=64)
        status = CharField(max_length=12)
        attempts = IntegerField(default=0)
        ip = CharField(max_length=45)
        created_at = DateTimeField()
        expires_at = DateTimeField()
        used_at = DateTimeField(null=True)

        class Meta:
            table_name = "challenge"
            indexes = ((("subject", "purpose", "created_at"), False),)

    class VerificationSubject(Model):
        subject = CharField(max_length=100, unique=True)
        counted_since = DateTimeField(null=True)
        wrong_entries = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        lock_reason = CharField(max_length=20)
        updated_at = DateTimeField()

        class Meta:
            table_name = "verification_subject"

    class SmsMessage(Model):
        customer = ForeignKeyField(Customer, on_delete="RESTRICT")
        challenge = ForeignKeyField(Challenge, null=True, on_delete="RESTRICT")
        kind = CharField(max_length=10)
        purpose = CharField(max_length=20)
        mobile = TextField()
        mobile_index = CharField(max_length=64, index=True)
        ip = CharField(max_length=45)
        provider = CharField(max_length=20)
        provider_sid = CharField(max_length=64, unique=True, null=True)
        status = CharField(max_length=12)
        error_code = CharField(max_length=20, null=True)
        error_message = CharField(max_length=255, null=True)
        created_at = DateTimeField(index=True)
        updated_at = DateTimeField()
        delivered_at = DateTimeField(null=True)

        class Meta:
            table_name = "sms_message"
            indexes = (
                (("mobile_index", "created_at"), False),
                (("ip", "created_at"), False),
            )

    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models (code that lists the models bound to the database would find both).
    with db.bind_ctx([Customer, Challenge, VerificationSubject, SmsMessage]):
        db.create_tables([Challenge, VerificationSubject, SmsMessage])


def down(migrator, db):
    db.execute_sql("DROP TABLE sms_message")
    db.execute_sql("DROP TABLE verification_subject")
    db.execute_sql("DROP TABLE challenge")
