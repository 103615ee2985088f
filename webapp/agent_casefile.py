"""Everything an agent sees about one customer, masked, gathered in six queries.

Applications come with their binding and signature record in one query, and the timeline with
the agents' names in another, so the page stays within the query budget however long the
customer's history is.
"""

from dataclasses import dataclass

from peewee import JOIN

from webapp import agent_timeline, clock, registry, signatures
from webapp.models import (
    Account,
    Agent,
    Application,
    AuditEvent,
    Binding,
    Challenge,
    Customer,
    SignatureRecord,
    SmsMessage,
    VerificationSubject,
)
from webapp.preflight import MESSAGES

TIMELINE_LIMIT = 300
SMS_LIMIT = 50


@dataclass(frozen=True)
class ApplicationFile:
    """One application as the agent sees it, with what came of it."""

    application: Application
    account: Account | None
    binding: Binding | None
    signature: SignatureRecord | None
    signature_intact: bool | None
    failure: str | None  # the check that refused it, as agents read it
    failure_message: str | None  # what the customer was told


@dataclass(frozen=True)
class Lock:
    """A verification lock in force: what it holds up and until when."""

    subject: VerificationSubject
    reference: str
    purpose: str


@dataclass(frozen=True)
class CaseFile:
    """The customer's record for the agent console."""

    customer: Customer
    accounts: list
    applications: list
    active_binding: Binding | None
    active_account: Account | None
    card_status: str | None
    locks: list
    messages: list
    timeline: list
    timeline_cut: bool

    @property
    def suspended(self):
        """A binding whose card the registry no longer reports active (lost, frozen, ...)."""
        return self.active_binding is not None and self.card_status != registry.CARD_ACTIVE

    @property
    def open_file(self):
        """The open application's file (at most one is open), or None."""
        return next((f for f in self.applications if f.application.is_open), None)

    @property
    def login_locked(self):
        locked_until = self.customer.locked_until
        return locked_until is not None and locked_until > clock.now()

    @property
    def masked_mobiles(self):
        return sorted({a.masked_mobile for a in self.accounts if a.reserved_mobile})


def open_casefile(customer_id):
    """The customer's case file, or None when there is no such customer."""
    customer, accounts = _customer_and_accounts(customer_id)
    if customer is None:
        return None
    by_id = {account.id: account for account in accounts}
    applications = _applications(customer_id, by_id)
    active = next(
        (f.binding for f in applications if f.binding and f.binding.status == Binding.ACTIVE), None
    )
    card = registry.find_card(active.card_number) if active else None
    references = {f"application:{f.application.reference}": f.application for f in applications}
    timeline, cut = _timeline(customer)
    return CaseFile(
        customer=customer,
        accounts=accounts,
        applications=applications,
        active_binding=active,
        active_account=by_id.get(active.account_id) if active else None,
        card_status=card.status if card else None,
        locks=_locks(customer_id, references),
        messages=_messages(customer_id),
        timeline=timeline,
        timeline_cut=cut,
    )


def _customer_and_accounts(customer_id):
    rows = list(
        Customer.select(Customer, Account)
        .join(Account, JOIN.LEFT_OUTER, on=(Account.customer == Customer.id), attr="account_row")
        .where(Customer.id == customer_id)
        .order_by(Account.id)
    )
    if not rows:
        return None, []
    accounts = [row.account_row for row in rows if getattr(row, "account_row", None)]
    return rows[0], accounts


def _applications(customer_id, accounts):
    rows = (
        Application.select(Application, Binding, SignatureRecord)
        .join(
            Binding, JOIN.LEFT_OUTER, on=(Binding.application == Application.id), attr="binding_row"
        )
        .switch(Application)
        .join(
            SignatureRecord,
            JOIN.LEFT_OUTER,
            on=(SignatureRecord.application == Application.id),
            attr="signature_row",
        )
        .where(Application.customer == customer_id)
        .order_by(Application.id.desc())
    )
    files = []
    for application in rows:
        record = getattr(application, "signature_row", None)
        files.append(
            ApplicationFile(
                application=application,
                account=accounts.get(application.account_id),
                binding=getattr(application, "binding_row", None),
                signature=record,
                signature_intact=signatures.intact(record) if record else None,
                failure=agent_timeline.CHECKS.get(application.failure, application.failure)
                if application.failure
                else None,
                failure_message=MESSAGES.get(application.failure) if application.failure else None,
            )
        )
    return files


def _locks(customer_id, references):
    """Locks in force on any subject this customer's codes were sent for."""
    subjects = Challenge.select(Challenge.subject).where(Challenge.customer == customer_id)
    now = clock.now()
    rows = VerificationSubject.select().where(
        VerificationSubject.subject.in_(subjects), VerificationSubject.locked_until > now
    )
    locks = []
    for row in rows.order_by(VerificationSubject.id):
        application = references.get(row.subject)
        reference = application.reference if application else ""
        purpose = application.purpose if application else row.subject.partition(":")[0]
        locks.append(Lock(subject=row, reference=reference, purpose=purpose))
    return locks


def _messages(customer_id):
    return list(
        SmsMessage.select(SmsMessage, Challenge)
        .join(Challenge, JOIN.LEFT_OUTER, on=(SmsMessage.challenge == Challenge.id))
        .where(SmsMessage.customer == customer_id)
        .order_by(SmsMessage.created_at.desc(), SmsMessage.id.desc())
        .limit(SMS_LIMIT)
    )


def _timeline(customer):
    """The newest TIMELINE_LIMIT events, oldest first, with agents named; and whether cut."""
    is_agent = (AuditEvent.actor_kind == "agent") & (AuditEvent.actor_id == Agent.id)
    rows = list(
        AuditEvent.select(AuditEvent, Agent.display_name)
        .join(Agent, JOIN.LEFT_OUTER, on=is_agent)
        .where(AuditEvent.customer == customer.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(TIMELINE_LIMIT + 1)
        .objects()
    )
    cut = len(rows) > TIMELINE_LIMIT
    rows = rows[:TIMELINE_LIMIT][::-1]
    entries = [
        agent_timeline.describe(
            row, customer_name=customer.masked_name, agent_name=getattr(row, "display_name", None)
        )
        for row in rows
    ]
    return entries, cut
