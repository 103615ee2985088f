"""Customer-service agents and the log of every lookup they make."""

from flask_login import UserMixin
from peewee import SQL, CharField, DateTimeField, ForeignKeyField, IntegerField

from webapp import clock
from webapp.models.base import BaseModel
from webapp.models.customers import Customer
from webapp.prepared import Prepared


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
        if self.id is not None:
            return super().save(*args, **kwargs)
        self.id = _append(self)
        self._dirty.clear()
        return 1

    def delete_instance(self, *args, **kwargs):
        raise PermissionError("the access log is append-only")


# Every search and every opened customer record appends a row: the INSERT is compiled once
# (see webapp.prepared) instead of built anew by Peewee for each lookup.
_COLUMNS = (
    "agent",
    "at",
    "action",
    "kind",
    "masked_query",
    "customer",
    "reason",
    "note",
    "result_count",
    "request_id",
)
if set(_COLUMNS) != set(AccessLog._meta.fields) - {"id"}:
    raise RuntimeError("the access log's INSERT must name every column")


def _returns_id():
    """Whether the database hands back a new row's id with RETURNING (as Peewee asks it to)."""
    return AccessLog._meta.database.returning_clause


def _insert_query(
    agent, at, action, kind, masked_query, customer, reason, note, result_count, request_id
):
    query = AccessLog.insert(
        agent=agent,
        at=at,
        action=action,
        kind=kind,
        masked_query=masked_query,
        customer=customer,
        reason=reason,
        note=note,
        result_count=result_count,
        request_id=request_id,
    )
    return query.returning(AccessLog.id).tuples() if _returns_id() else query


_INSERT = Prepared(_insert_query)


def _append(entry):
    """Insert a new row from an unsaved entry's values; returns its id."""
    fields = AccessLog._meta.fields
    rows = _INSERT.execute(*(fields[name].db_value(entry.__data__.get(name)) for name in _COLUMNS))
    return rows[0][0] if _returns_id() else rows.cursor.lastrowid
