"""The social security registry, reached only through this small interface.

The agency owns the data; the bank reads it. `current()` returns the configured adapter: the
embedded default is the local, database-backed registry (cards in webapp.registry.local, social
insurance records in webapp.registry.insurance). Views and services call these functions and
never touch registry tables.
"""

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import NamedTuple

from webapp import clock
from webapp.i18n import lazy_gettext as _l

CARD_ACTIVE = "active"
CARD_NOT_ACTIVATED = "not_activated"
CARD_LOST = "lost"
CARD_FROZEN = "frozen"
CARD_CANCELLED = "cancelled"
CARD_STATUSES = (CARD_ACTIVE, CARD_NOT_ACTIVATED, CARD_LOST, CARD_FROZEN, CARD_CANCELLED)

# What writing one imported record did (see write_record).
CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def write_record(row, values, stamp=None):
    """Give a registry row these values and save it, unless it holds them all already.

    stamp: a column that records when the row last changed, set to now when it does.
    Returns CREATED (the row was new), UPDATED or UNCHANGED, as an import reports them.
    """
    created = row.get_id() is None
    if not created and all(getattr(row, name) == value for name, value in values.items()):
        return UNCHANGED
    for name, value in values.items():
        setattr(row, name, value)
    if stamp:
        setattr(row, stamp, clock.now())
    row.save()
    return CREATED if created else UPDATED


# Insured regions (参保地) the registry serves: code -> name in each language.
REGIONS = {
    "110000": _l("Beijing"),
    "120000": _l("Tianjin"),
    "310000": _l("Shanghai"),
    "320100": _l("Nanjing, Jiangsu"),
    "330100": _l("Hangzhou, Zhejiang"),
    "420100": _l("Wuhan, Hubei"),
    "440100": _l("Guangzhou, Guangdong"),
    "440300": _l("Shenzhen, Guangdong"),
    "510100": _l("Chengdu, Sichuan"),
}


# Social insurance: the five types, how a person takes part, and what a contribution can be.
PENSION, MEDICAL, UNEMPLOYMENT, WORK_INJURY, MATERNITY = (
    "pension",
    "medical",
    "unemployment",
    "work_injury",
    "maternity",
)
INSURANCE_TYPES = (PENSION, MEDICAL, UNEMPLOYMENT, WORK_INJURY, MATERNITY)
PARTICIPATING, SUSPENDED, STOPPED = "participating", "suspended", "stopped"
PARTICIPATION_STATUSES = (PARTICIPATING, SUSPENDED, STOPPED)
PAID, ARREARS = "paid", "arrears"
CONTRIBUTION_STATUSES = (PAID, ARREARS)
BY_EMPLOYER, BY_SELF = "employer", "self"
PENSION_ACCOUNT, MEDICAL_ACCOUNT = "pension", "medical"
RESIDENT_MEDICAL, FLEXIBLE_PENSION = "resident_medical", "flexible_pension"
# Social Insurance Law art. 58: an employer registers an employee within 30 days of hiring.
REGISTRATION_DAYS = 30


@dataclass(frozen=True)
class Card:
    """A social security card as the registry knows it."""

    number: str
    holder_name: str
    id_number: str
    region: str
    status: str


@dataclass(frozen=True)
class Employment:
    """An employer of an insured person: when employment began and when it was registered."""

    employer: str
    started_on: datetime.date
    registered_on: datetime.date
    ended_on: datetime.date | None = None

    @property
    def registration_delay(self):
        """Days from the start of employment to the social insurance registration."""
        return (self.registered_on - self.started_on).days

    @property
    def registered_late(self):
        """True when the employer registered later than art. 58 allows."""
        return self.registration_delay > REGISTRATION_DAYS


@dataclass(frozen=True)
class Participation:
    """How the person takes part in one insurance type, and since when."""

    insurance_type: str
    status: str
    started_on: datetime.date


@dataclass(frozen=True)
class InsuredPerson:
    """The registry's record of an insured person (their number is their ID number)."""

    name: str
    region: str
    employments: tuple
    participations: tuple


class Contribution(NamedTuple):
    """One month's contribution to one insurance type; amounts in fen.

    A tuple rather than a dataclass: a page lists a year of them, and a tuple is built in a
    quarter of the time.
    """

    month: datetime.date
    insurance_type: str
    base_fen: int
    employer_fen: int
    personal_fen: int
    status: str
    paid_by: str
    paying_unit: str


@dataclass(frozen=True)
class AccountBalance:
    """A personal account (pension or medical) and its balance in fen on a date."""

    kind: str
    balance_fen: int
    as_of: datetime.date


@dataclass(frozen=True)
class PayableItem:
    """A fee the registry lets this person pay: a fixed amount, or a rate of a chosen base."""

    code: str
    kind: str
    period: str
    opens_on: datetime.date
    closes_on: datetime.date
    amount_fen: int | None = None
    base_min_fen: int | None = None
    base_max_fen: int | None = None
    rate_bp: int | None = None
    paid: bool = False

    @property
    def has_base(self):
        """True when the payer chooses a contribution base."""
        return self.amount_fen is None

    def is_open(self, day):
        """True when the payment window includes this day."""
        return self.opens_on <= day <= self.closes_on

    def base_allowed(self, base_fen):
        """True when a base is within the allowed range."""
        return self.base_min_fen <= base_fen <= self.base_max_fen

    def amount_for(self, base_fen=None):
        """The amount due in fen: fixed, or the rate (basis points) of the base, to the fen."""
        if not self.has_base:
            return self.amount_fen
        return (base_fen * self.rate_bp + 5_000) // 10_000


class NotPayable(Exception):
    """The registry refused a payment: reason is "unknown", "paid" or "closed"."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class Adapter(ABC):
    """What the bank may ask the registry. Another agency service implements the same methods."""

    @abstractmethod
    def find_card(self, card_number):
        """The card with this number, or None."""

    @abstractmethod
    def cards_of(self, id_number):
        """Every card issued to the holder of this ID number."""

    @abstractmethod
    def insured_person(self, id_number):
        """The InsuredPerson with this ID number, or None."""

    @abstractmethod
    def balances(self, id_number):
        """The person's personal account balances."""

    @abstractmethod
    def contribution_span(self, id_number):
        """(first month, last month) with a contribution record, or None when there is none."""

    @abstractmethod
    def contributions(self, id_number, year):
        """The person's contribution records in a calendar year, by month."""

    @abstractmethod
    def payable_items(self, id_number):
        """The fees the person may pay (or has paid), by period."""

    @abstractmethod
    def record_payment(self, id_number, code, *, base_fen, amount_fen, bank_reference, paid_at):
        """Record a fee paid through the bank; returns the registry's reference.

        Raises NotPayable. The local registry writes in the caller's transaction.
        """


_adapter = None


def current():
    """The configured registry adapter."""
    global _adapter
    if _adapter is None:
        from webapp.registry.local_insurance import LocalRegistry

        _adapter = LocalRegistry()
    return _adapter


def find_card(card_number):
    """The card with this number, or None."""
    return current().find_card(card_number)


def cards_of(id_number):
    """Every card issued to the holder of this ID number."""
    return current().cards_of(id_number)


def today():
    """The registry's calendar day (China Standard Time): payment windows are dated in it."""
    return clock.local(clock.now()).date()


def insured_person(id_number):
    """The InsuredPerson with this ID number, or None."""
    return current().insured_person(id_number)


def balances(id_number):
    """The person's personal account balances."""
    return current().balances(id_number)


def contribution_span(id_number):
    """(first month, last month) with a contribution record, or None."""
    return current().contribution_span(id_number)


def contributions(id_number, year):
    """The person's contribution records in a calendar year, by month."""
    return current().contributions(id_number, year)


def payable_items(id_number):
    """The fees the person may pay (or has paid)."""
    return current().payable_items(id_number)


def payable_item(id_number, code):
    """One of the person's payable items by its code, or None."""
    return next((item for item in payable_items(id_number) if item.code == code), None)


def record_payment(id_number, code, *, base_fen, amount_fen, bank_reference, paid_at):
    """Record a fee paid through the bank; returns the registry's reference (or NotPayable)."""
    return current().record_payment(
        id_number,
        code,
        base_fen=base_fen,
        amount_fen=amount_fen,
        bank_reference=bank_reference,
        paid_at=paid_at,
    )
