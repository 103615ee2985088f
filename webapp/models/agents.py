"""Customer-service agents and the log of every lookup they make."""

from flask_login import UserMixin
from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField

from webapp import clock
from webapp.models.base import BaseModel
from webapp.models.customers import Customer


class Agent(UserMixin, BaseModel):
    """A customer-service agent or supervisor; signs in to the agent console only."""

    actor_kind = "agent"
    idle_setting = "AGENT_IDLE_MINUTES"
    AGENT, SUPERVISOR = "agent", "supervisor"
    ROLES = (AGENT, SUPERVISOR)

    username = CharField(max_length=40, unique=True)
    password_hash = CharField(max_length=255)
    display_name = CharField(max_length=40)
    role = CharField(
        max_length=12, default=AGENT, constraints=[SQL("CHECK (role IN ('agent', 'supervisor'))")]
    )
    failed_logins = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    session_token = CharField(max_length=32, default="")
    created_at = DateTimeField(default=clock.now)

    @property
    def is_supervisor(self):
        return self.role == self.SUPERVISOR

    def get_id(self):
        return f"agent:{self.id}:{self.session_token}"


class AccessLog(BaseModel):
    """One lookup by an agent: a search or an opened customer record. Never updated or deleted.

    masked_query holds the searched identifier masked as pages show it, never in full.
    """

    SEARCH, VIEW = "search", "view"

    agent = ForeignKeyField(Agent, backref="lookups", on_delete="RESTRICT")
    at = DateTimeField(default=clock.now, index=True)
    action = CharField(max_length=10)
    kind = CharField(max_length=20)
    masked_query = CharField(max_length=40, default="")
    customer = ForeignKeyField(Customer, null=True, backref="lookups", on_delete="RESTRICT")
    reason = CharField(max_length=20, default="")
    note = CharField(max_length=200, default="")
    result_count = IntegerField(default=0)
    request_id = CharField(max_length=32, default="")

    class Meta:
        indexes = ((("agent", "at"), False),)

    def save(self, *args, **kwargs):
        if self.id is not None and not kwargs.get("force_insert"):
            raise PermissionError("the access log is append-only")
        return super().save(*args, **kwargs)

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("the access log is append-only")
