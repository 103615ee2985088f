"""What a bound customer sees of their social security records, shaped for the pages.

Access follows the binding: an active binding to a card the registry reports active opens the
services; a card reported lost, frozen or cancelled suspends them; without a binding there are
none. Contribution records are grouped by month, newest first, with gaps and arrears marked.
"""

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from webapp import registry
from webapp.i18n import lazy_gettext as _l
from webapp.models import Binding
from webapp.prepared import Prepared

NONE, BOUND, SUSPENDED = "none", "bound", "suspended"

INSURANCE_LABELS = {
    registry.PENSION: _l("Basic pension insurance"),
    registry.MEDICAL: _l("Basic medical insurance"),
    registry.UNEMPLOYMENT: _l("Unemployment insurance"),
    registry.WORK_INJURY: _l("Work injury insurance"),
    registry.MATERNITY: _l("Maternity insurance"),
}
PARTICIPATION_LABELS = {
    registry.PARTICIPATING: _l("Participating"),
    registry.SUSPENDED: _l("Contributions suspended"),
    registry.STOPPED: _l("Ended"),
}
BALANCE_LABELS = {
    registry.PENSION_ACCOUNT: _l("Pension personal account"),
    registry.MEDICAL_ACCOUNT: _l("Medical insurance personal account"),
}
ITEM_LABELS = {
    registry.RESIDENT_MEDICAL: _l("Urban and rural resident medical insurance"),
    registry.FLEXIBLE_PENSION: _l("Pension insurance for flexible employment"),
}
CARD_PROBLEMS = {
    registry.CARD_LOST: _l(
        "The social security registry reports your card %(card)s as lost. Report it found, or "
        "apply for a new card, at a social security service centre or by calling 12333."
    ),
    registry.CARD_FROZEN: _l(
        "The social security registry reports your card %(card)s as frozen. Call 12333 or visit "
        "a social security service centre to find out why and to unfreeze it."
    ),
    registry.CARD_CANCELLED: _l(
        "The social security registry reports your card %(card)s as cancelled. Apply for a new "
        "card at a social security service centre, then bind the new card."
    ),
}
CARD_PROBLEM_OTHER = _l(
    "The social security registry cannot confirm your card %(card)s is active. Call 12333 or "
    "visit a social security service centre."
)


@dataclass(frozen=True)
class Access:
    """The customer's way into the services: state "bound", "suspended" or "none"."""

    state: str
    customer: object = None
    # The active binding: its id, customer, card, account and status (and the account itself
    # when access() was asked with_account).
    binding: Binding | None = None
    card: registry.Card | None = None

    @property
    def id_number(self):
        """The insured person's number in the registry (their ID number, from the card)."""
        return self.card.id_number

    @property
    def account(self):
        """The bound account (one more query unless access() read it with the binding)."""
        return self.binding.account

    def problem(self):
        """Why a suspended binding's services are paused, in words."""
        message = CARD_PROBLEMS.get(self.card.status if self.card else None, CARD_PROBLEM_OTHER)
        return message % {"card": self.binding.masked_card}


# Every services page asks it: compiled once (see webapp.prepared), for the columns the
# services use. The account is not joined: most pages do not show it, and reading it decrypts
# its number and reserved mobile.
_active_binding = Prepared(
    lambda customer: (
        Binding.select(
            Binding.id, Binding.customer, Binding.card_number, Binding.account, Binding.status
        )
        .where(Binding.customer == customer, Binding.status == Binding.ACTIVE)
        .limit(1)
    )
)


def access(customer, with_account=False):
    """The customer's access, from their active binding and the card.

    customer is a Customer (kept on the Access for audit and codes without another query).
    with_account reads the bound account in the same query, for the pages that show or debit
    it; without, Access.account reads it when first asked.
    """
    if with_account:
        active = Binding.active_for(customer)
    else:
        active = _active_binding.first(Binding.customer.db_value(customer))
    if active is None:
        return Access(NONE, customer)
    card = registry.find_card(active.card_number)
    state = BOUND if card is not None and card.status == registry.CARD_ACTIVE else SUSPENDED
    return Access(state, customer, active, card)


@dataclass(frozen=True)
class Overview:
    """The insured person, their personal accounts, and employers that registered late."""

    person: registry.InsuredPerson | None
    balances: list
    late_registrations: list


def overview(id_number):
    """The overview page's data for an insured person."""
    person = registry.insured_person(id_number)
    if person is None:
        return Overview(None, [], [])
    late = [job for job in person.employments if job.registered_late]
    return Overview(person, registry.balances(id_number), late)


PAID_MONTH, ARREARS_MONTH, GAP_MONTH = "paid", "arrears", "gap"


class Month(NamedTuple):
    """One month's records; state is "paid", "arrears" (any type unpaid) or "gap" (none).

    The sums and who paid are worked out once, when the month is made: a page reads each
    several times.
    """

    month: datetime.date
    records: tuple
    state: str = GAP_MONTH
    base_fen: int = 0
    employer_fen: int = 0
    personal_fen: int = 0
    # Who paid: employer names, and "" for the person paying themselves.
    paying_units: tuple = ()


def _month(month, records):
    """The month with its state and sums."""
    if not records:
        return Month(month, ())
    arrears = any(r.status == registry.ARREARS for r in records)
    return Month(
        month,
        records,
        ARREARS_MONTH if arrears else PAID_MONTH,
        max(r.base_fen for r in records),
        sum(r.employer_fen for r in records),
        sum(r.personal_fen for r in records),
        tuple(
            sorted({r.paying_unit if r.paid_by == registry.BY_EMPLOYER else "" for r in records})
        ),
    )


@dataclass(frozen=True)
class Year:
    """A calendar year of months (newest first) with its totals and how many months are in
    each state."""

    year: int
    months: tuple
    paid_employer_fen: int
    paid_personal_fen: int
    arrears_fen: int
    paid_months: int
    arrears_months: int
    gap_months: int


def _year(year, months):
    """The year with its totals, from its months."""
    paid = [m for m in months if m.state == PAID_MONTH]
    arrears = [m for m in months if m.state == ARREARS_MONTH]
    return Year(
        year,
        months,
        paid_employer_fen=sum(m.employer_fen for m in paid),
        paid_personal_fen=sum(m.personal_fen for m in paid),
        arrears_fen=sum(
            r.employer_fen + r.personal_fen
            for m in arrears
            for r in m.records
            if r.status == registry.ARREARS
        ),
        paid_months=len(paid),
        arrears_months=len(arrears),
        gap_months=len(months) - len(paid) - len(arrears),
    )


def contribution_years(id_number, today):
    """The years with records to show, newest first (empty when there are none)."""
    span = registry.contribution_span(id_number)
    if span is None:
        return []
    last = max(span[1], _previous_month(today))
    return list(range(last.year, span[0].year - 1, -1))


def contribution_year(id_number, year, years, today):
    """One year's months from the first record to the last due month, newest first."""
    records = registry.contributions(id_number, year)
    first_year = years[-1]
    by_month = {}
    for record in records:
        by_month.setdefault(record.month, []).append(record)
    # The first year starts at the first record (every year listed after it has one or is due).
    start = min(by_month) if year == first_year and by_month else datetime.date(year, 1, 1)
    end = max([_previous_month(today), *by_month]) if by_month else _previous_month(today)
    end = min(end, datetime.date(year, 12, 1))
    months = []
    month = end
    while month >= start:
        months.append(_month(month, tuple(by_month.get(month, ()))))
        month = _previous_month(month)
    return _year(year, tuple(months))


def _previous_month(day):
    first = day.replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=1)
