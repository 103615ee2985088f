"""Customer-service agents and their access log (who looked up whom, when, why)."""

from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField, Model


def up(migrator, db):
    class Customer(Model):
        class Meta:
            table_name = "customer"

    class Agent(Model):
        username = CharField(max_length=40, unique=True)
        password_hash = CharField(max_length=255)
        display_name = CharField(max_length=40)
        role = CharField(
            max_length=12, constraints=[SQL("CHECK (role IN ('agent', 'supervisor'))")]
        )
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            table_name = "agent"

    class AccessLog(Model):
        agent = ForeignKeyField(Agent, on_delete="RESTRICT")
        at = DateTimeField(index=True)
        action = CharField(max_length=10)
        kind = CharField(max_length=20)
        masked_query = CharField(max_length=40)
        customer = ForeignKeyField(Customer, null=True, on_delete="RESTRICT")
        reason = CharField(max_length=20)
        note = CharField(max_length=200)
        result_count = IntegerField()
        request_id = CharField(max_length=32)

        class Meta:
            table_name = "access_log"
            indexes = ((("agent", "at"), False),)

    # Bound only while the tables are created, so these frozen copies never pass for the app's
    # models (code that lists the models bound to the database would find both).
    with db.bind_ctx([Customer, Agent, AccessLog]):
        db.create_tables([Agent, AccessLog])


def down(migrator, db):
    db.execute_sql("DROP TABLE access_log")
    db.execute_sql("DROP TABLE agent")
