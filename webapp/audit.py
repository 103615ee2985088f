"""Writing and reading audit events. Details hold masked data only."""

import json

from webapp import logs
from webapp.models import AuditEvent

# What AuditEvent.subject holds; a longer subject (a payment's code names the customer and the
# form's key) is cut there and kept whole in the detail.
SUBJECT_LENGTH = 40


def record(action, *, actor=None, customer=None, subject="", outcome="ok", **detail):
    """Append one audit event; the actor defaults to the system."""
    if len(subject) > SUBJECT_LENGTH:
        detail["whole_subject"] = subject
        subject = subject[:SUBJECT_LENGTH]
    actor_kind, actor_id, actor_name = "system", None, ""
    if actor is not None:
        actor_kind = getattr(actor, "actor_kind", "customer")
        actor_id = actor.id
        actor_name = getattr(actor, "username", "")
    context = logs.current.get()
    return AuditEvent.create(
        actor_kind=actor_kind,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        outcome=outcome,
        customer=customer,
        subject=subject,
        detail=json.dumps(detail, ensure_ascii=False, sort_keys=True),
        request_id=context["request_id"],
        ip=context["ip"],
    )


def for_customer(customer):
    """The customer's events, oldest first."""
    return (
        AuditEvent.select()
        .where(AuditEvent.customer == customer)
        .order_by(AuditEvent.at, AuditEvent.id)
    )
