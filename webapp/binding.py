"""The binding application's state machine: draft → awaiting verification → bound.

Every transition is a guarded UPDATE (… WHERE status = expected) inside a transaction, and writes
an audit event. A transition that finds the application in another state changes nothing and
raises StaleApplication.
"""

import datetime
from dataclasses import dataclass

from peewee import IntegrityError

from webapp import agreement, audit, clock, pii, registry
from webapp.extensions import db
from webapp.models.binding import (
    AWAITING_VERIFICATION,
    CANCELLED,
    DRAFT,
    EXPIRED,
    OPEN_STATUSES,
    Application,
    Binding,
)
from webapp.models.customers import Account
from webapp.models.verification import Challenge
from webapp.preflight import run_checks

STALE_AFTER = datetime.timedelta(hours=24)
STEPS = 5


class StaleApplication(Exception):
    """The application is no longer in the state this action needs."""


class StaleBinding(Exception):
    """The binding is no longer active."""


def start(customer):
    """The customer's open application, or a new draft when there is none."""
    return _open(customer, purpose=Application.BIND, step=2)


def save_card_details(application, *, full_name, id_number, card_number, region):
    """Store step 2's answers on a draft."""
    _update(
        application,
        DRAFT,
        full_name=full_name,
        id_number=id_number,
        card_number=card_number,
        region=region,
        step=max(application.step, 3),
        failure=None,
    )
    audit.record(
        "application.card_details_saved",
        actor=application.customer,
        customer=application.customer_id,
        subject=application.reference,
        card=pii.mask_tail(card_number),
        id_number=pii.mask_id_number(id_number),
    )


def choose_account(application, account):
    """Store step 3's answer (the account to bind) on a draft."""
    _update(application, DRAFT, account=account, step=max(application.step, 4), failure=None)
    audit.record(
        "application.account_chosen",
        actor=application.customer,
        customer=application.customer_id,
        subject=application.reference,
        account=account.masked_number,
    )


def submit(application, *, language, ip, user_agent):
    """Run the pre-flight checks; on success record consent and await verification.

    Returns the failed check's name, or None when the application moved on.
    """
    failure = run_checks(application)
    if failure:
        _update(application, DRAFT, failure=failure)
        audit.record(
            "application.preflight_failed",
            actor=application.customer,
            customer=application.customer_id,
            subject=application.reference,
            outcome="refused",
            check=failure,
        )
        return failure
    now = clock.now()
    _update(
        application,
        DRAFT,
        status=AWAITING_VERIFICATION,
        step=5,
        failure=None,
        submitted_at=now,
        agreement_version=agreement.VERSION,
        agreement_language=language,
        agreement_sha256=agreement.digest(language),
        consented_at=now,
        consent_ip=ip[:45],
        consent_user_agent=(user_agent or "")[:255],
    )
    audit.record(
        "application.submitted",
        actor=application.customer,
        customer=application.customer_id,
        subject=application.reference,
        agreement_version=agreement.VERSION,
    )
    return None


def refused_at_verification(application):
    """Run the pre-flight checks again as the right code comes in: the card or the bindings may
    have changed since submit (the card reported lost, bound from another profile). The first
    failure sends the application back to Check your answers with it, and is returned; None
    when binding may go ahead. Works in the caller's transaction."""
    failure = run_checks(application)
    if failure is not None:
        _reopen(application, "application.refused_at_verification", failure, outcome="refused")
    return failure


def back_to_draft(application):
    """Let a customer awaiting verification change an answer: the application becomes a draft."""
    with db.database.atomic():
        _reopen(application, "application.reopened")


def _reopen(application, action, failure=None, **detail):
    """An application awaiting verification back at Check your answers (as a draft, with the
    failure that sent it there if any); a code sent for it stops working. Audited as action."""
    _update(application, AWAITING_VERIFICATION, status=DRAFT, step=4, failure=failure)
    Challenge.kill_active(code_subject(application))
    if failure is not None:
        detail["check"] = failure
    audit.record(
        action,
        actor=application.customer,
        customer=application.customer_id,
        subject=application.reference,
        **detail,
    )


def cancel(application, *, actor, reason="customer"):
    """Cancel an open application; a code sent for it stops working."""
    _update(application, OPEN_STATUSES, status=CANCELLED, closed_at=clock.now())
    Challenge.kill_active(code_subject(application))
    audit.record(
        "application.cancelled",
        actor=actor,
        customer=application.customer_id,
        subject=application.reference,
        reason=reason,
    )


def expire_stale():
    """Expire open applications untouched for 24 hours; returns how many."""
    cutoff = clock.now() - STALE_AFTER
    stale = list(
        Application.select().where(
            Application.status.in_(OPEN_STATUSES), Application.updated_at < cutoff
        )
    )
    expired = 0
    for application in stale:
        try:
            with db.database.atomic():
                _update(application, OPEN_STATUSES, status=EXPIRED, closed_at=clock.now())
                Challenge.kill_active(code_subject(application))  # as a cancel does
                audit.record(
                    "application.expired",
                    customer=application.customer_id,
                    subject=application.reference,
                )
        except StaleApplication:
            continue
        expired += 1
    return expired


def can_move_to_another(active):
    """Whether the customer has another account that could take this binding."""
    return any(
        account.id != active.account_id and account.ineligibility is None
        for account in Account.of(active.customer_id)
    )


def start_change(customer, active):
    """An application to move an active binding to another account (card details carried over)."""
    return _open(
        customer,
        purpose=Application.CHANGE_ACCOUNT,
        step=3,
        full_name=customer.name,
        id_number=customer.id_number,
        card_number=active.card_number,
        region=active.region,
    )


def _open(customer, *, purpose, **answers):
    """The customer's open application, else a new one for this purpose."""
    existing = Application.open_for(customer)
    if existing:
        return existing
    try:
        with db.database.atomic():
            application = Application.create(customer=customer, purpose=purpose, **answers)
            audit.record(
                "application.started",
                actor=customer,
                customer=customer,
                subject=application.reference,
                purpose=purpose,
            )
            return application
    except IntegrityError:
        # A second tab or a double tap created one at the same moment: resume that one.
        return Application.open_for(customer)


def end(active, *, actor, reason, when=None):
    """End an active binding (guarded: active → ended); raises StaleBinding if it was not active."""
    when = when or clock.now()
    ended = (
        Binding.update(status=Binding.ENDED, ended_at=when, end_reason=reason[:40])
        .where(Binding.id == active.id, Binding.status == Binding.ACTIVE)
        .execute()
    )
    if ended != 1:
        raise StaleBinding(active.id)
    audit.record(
        "binding.ended",
        actor=actor,
        customer=active.customer_id,
        subject=f"binding:{active.id}",
        card=active.masked_card,
        account=active.account.masked_number,
        reason=reason[:40],
    )
    active.status, active.ended_at, active.end_reason = Binding.ENDED, when, reason[:40]
    if reason != "changed_account":
        _cancel_moves(active, actor)


def _cancel_moves(ended, actor):
    """A binding that ended leaves nothing to move: the customer's open applications to move
    it to another account are cancelled with it."""
    moves = Application.select().where(
        Application.customer == ended.customer_id,
        Application.purpose == Application.CHANGE_ACCOUNT,
        Application.status.in_(OPEN_STATUSES),
    )
    for application in moves:
        try:
            cancel(application, actor=actor, reason="binding_ended")
        except StaleApplication:
            continue


def code_subject(application):
    """What an application's codes authorise (their verification subject)."""
    return f"application:{application.reference}"


def current_step(application):
    """The step (1–5) where this application resumes."""
    if application.status == AWAITING_VERIFICATION:
        return 5
    return min(max(application.step, 2), 4)


def _update(application, expected, **changes):
    """Apply changes only if the application is still in an expected state."""
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    changes["updated_at"] = clock.now()
    with db.database.atomic():
        query = Application.update(_db_values(changes)).where(
            Application.id == application.id, Application.status.in_(expected)
        )
        if query.execute() != 1:
            raise StaleApplication(application.reference)
    for name, value in changes.items():
        setattr(application, name, value)


def _db_values(changes):
    """Changes keyed by field, with blind indexes kept in step with their sources."""
    values = {getattr(Application, name): value for name, value in changes.items()}
    for source, index in (("id_number", "id_number_index"), ("card_number", "card_number_index")):
        if source in changes:
            values[getattr(Application, index)] = changes[source]
    return values


@dataclass(frozen=True)
class Summary:
    """Where a customer stands: "none", "in_progress", "awaiting_verification", "bound", "suspended"."""

    state: str
    application: Application | None = None
    binding: Binding | None = None
    step: int | None = None


def summary(customer):
    """The customer's binding status for the dashboard tile and the My binding page."""
    active = Binding.shown_for(customer)
    if active is not None:
        card = registry.find_card(active.card_number)
        state = "bound" if card is not None and card.status == registry.CARD_ACTIVE else "suspended"
        return Summary(state, binding=active)
    application = Application.open_for(customer)
    if application is None:
        return Summary("none")
    state = (
        "awaiting_verification" if application.status == AWAITING_VERIFICATION else "in_progress"
    )
    return Summary(state, application=application, step=current_step(application))
