"""What an agent may do for a customer: unlock verification, cancel an application, unbind.

Each action takes a reason, runs in one transaction with a guarded state change, is audited
with the agent as the actor, and is refused from the wrong state without changing anything.
Agents never see, send or check codes.
"""

from webapp import audit, binding, completion, logs, otp
from webapp.agent_timeline import REASONS
from webapp.completion import unbind_subject
from webapp.extensions import db
from webapp.models import Binding, Challenge, VerificationSubject

NOTE_LENGTH = 200


class Refused(Exception):
    """The action does not apply to the record's current state; nothing was changed."""

    def __init__(self, why):
        super().__init__(why)
        self.why = why


def reason_problem(reason, note):
    """Why a reason would be refused ("missing", "note_missing", "too_long"), or None."""
    if reason not in REASONS:
        return "missing"
    if reason == "other" and not (note or "").strip():
        return "note_missing"
    if len(note or "") > NOTE_LENGTH:
        return "too_long"
    return None


def lock_of(customer_id, lock_id):
    """A verification lock row that belongs to this customer's codes, or None."""
    row = VerificationSubject.get_or_none(VerificationSubject.id == lock_id)
    if row is None or Challenge.customer_of(row.subject) != customer_id:
        return None
    return row


def unlock(agent, lock, *, reason, note=""):
    """Lift a verification lock so the customer can ask for a new code; Refused if not locked."""
    _check(reason, note)
    with db.database.atomic():
        try:
            otp.unlock(subject=lock.subject, agent=agent, reason=f"agent:{reason}")
        except otp.NotLocked:
            raise Refused("not_locked") from None
        _note(agent, Challenge.customer_of(lock.subject), lock.subject, note)


def cancel(agent, application, *, reason, note=""):
    """Cancel an open application (and end its code); Refused when it is no longer open."""
    _check(reason, note)
    with db.database.atomic():
        try:
            binding.cancel(application, actor=agent, reason=f"agent:{reason}")
        except binding.StaleApplication:
            raise Refused("not_open") from None
        _note(agent, application.customer_id, application.reference, note)


def unbind(agent, customer_id, *, reason, note=""):
    """End the customer's active binding at their request; Refused when nothing is bound."""
    _check(reason, note)
    with db.database.atomic():
        active = Binding.active_for(customer_id)
        if active is None:
            raise Refused("not_bound")
        try:
            binding.end(active, actor=agent, reason=f"agent:{reason}")
        except binding.StaleBinding:
            raise Refused("not_bound") from None
        # A code the customer asked for to unbind it themselves can no longer do anything.
        Challenge.kill_active(unbind_subject(active))
        _note(agent, customer_id, f"binding:{active.id}", note)
    # Told after the commit, like a customer's own unbind: the reserved mobile hears of it.
    completion.notify(active, "unbound")
    return active


def _check(reason, note):
    problem = reason_problem(reason, note)
    if problem:
        raise ValueError(f"reason refused: {problem}")


def _note(agent, customer_id, subject, note):
    """The agent's own words about an action, as their own timeline line (digit runs masked)."""
    text = logs.scrub((note or "").strip())
    if text:
        audit.record("agent.note", actor=agent, customer=customer_id, subject=subject, note=text)
