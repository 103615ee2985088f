"""The embedded registry's answers about social insurance, read from the local tables
(webapp.registry.insurance); cards come from webapp.registry.local.

The services pages ask these on every request, so their SQL is compiled once (see
webapp.prepared) and they read only the columns the answers hold: a person's ID number is
never decrypted to answer, only compared through its blind index.
"""

import datetime
import secrets

from peewee import fn

from webapp import clock, registry
from webapp.prepared import Prepared
from webapp.registry import local
from webapp.registry.insurance import (
    RegistryAccountBalance,
    RegistryContribution,
    RegistryEmployment,
    RegistryInsuredPerson,
    RegistryParticipation,
    RegistryPayableItem,
    RegistryPayment,
)


def _person_query(model, id_number):
    """Rows of a person's table, found through the person's blind index in one query."""
    return (
        model.select()
        .join(RegistryInsuredPerson)
        .where(RegistryInsuredPerson.id_number_index == id_number)
    )


def _person_key(id_number):
    """The person's blind index, as the prepared queries below take it."""
    return RegistryInsuredPerson.id_number_index.db_value(id_number)


# The overview.
_person_by_key = Prepared(
    lambda person: (
        RegistryInsuredPerson.select(
            RegistryInsuredPerson.id, RegistryInsuredPerson.name, RegistryInsuredPerson.region
        )
        .where(RegistryInsuredPerson.id_number_index == person)
        .tuples()
    )
)
# Columns in the order of registry.Employment's fields.
_employments_of = Prepared(
    lambda person_id: (
        RegistryEmployment.select(
            RegistryEmployment.employer,
            RegistryEmployment.started_on,
            RegistryEmployment.registered_on,
            RegistryEmployment.ended_on,
        )
        .where(RegistryEmployment.person == person_id)
        .order_by(RegistryEmployment.started_on)
        .tuples()
    )
)
# Columns in the order of registry.Participation's fields.
_participations_of = Prepared(
    lambda person_id: (
        RegistryParticipation.select(
            RegistryParticipation.insurance_type,
            RegistryParticipation.status,
            RegistryParticipation.started_on,
        )
        .where(RegistryParticipation.person == person_id)
        .tuples()
    )
)
# Columns in the order of registry.AccountBalance's fields.
_balances_of = Prepared(
    lambda person: (
        RegistryAccountBalance.select(
            RegistryAccountBalance.kind,
            RegistryAccountBalance.balance_fen,
            RegistryAccountBalance.as_of,
        )
        .join(RegistryInsuredPerson)
        .where(RegistryInsuredPerson.id_number_index == person)
        .order_by(RegistryAccountBalance.kind.desc())
        .tuples()
    )
)
# The fees page: columns in the order of registry.PayableItem's fields; whether an item is
# paid, not when.
_payable_items_of = Prepared(
    lambda person: (
        RegistryPayableItem.select(
            RegistryPayableItem.code,
            RegistryPayableItem.kind,
            RegistryPayableItem.period,
            RegistryPayableItem.opens_on,
            RegistryPayableItem.closes_on,
            RegistryPayableItem.amount_fen,
            RegistryPayableItem.base_min_fen,
            RegistryPayableItem.base_max_fen,
            RegistryPayableItem.rate_bp,
            RegistryPayableItem.paid_at.is_null(False),
        )
        .join(RegistryInsuredPerson)
        .where(RegistryInsuredPerson.id_number_index == person)
        .order_by(RegistryPayableItem.opens_on, RegistryPayableItem.code)
        .tuples()
    )
)


# Contribution records.
def _span_of(person):
    """The first and last month of a person's records, each from a subquery of its own: the
    database then reads one end of the person's index for each, not every record between."""
    of_person = RegistryContribution.person == RegistryInsuredPerson.id
    return (
        RegistryInsuredPerson.select(
            RegistryContribution.select(fn.MIN(RegistryContribution.month)).where(of_person),
            RegistryContribution.select(fn.MAX(RegistryContribution.month)).where(of_person),
        )
        .where(RegistryInsuredPerson.id_number_index == person)
        .tuples()
    )


_contribution_span = Prepared(_span_of)
# Columns in the order of registry.Contribution's fields. Only the month needs converting: the
# others come back from either database as the integers and text they are.
_contributions_between = Prepared(
    lambda person, start, end: (
        RegistryContribution.select(
            RegistryContribution.month,
            *(
                field.coerce(False)
                for field in (
                    RegistryContribution.insurance_type,
                    RegistryContribution.base_fen,
                    RegistryContribution.employer_fen,
                    RegistryContribution.personal_fen,
                    RegistryContribution.status,
                    RegistryContribution.paid_by,
                    RegistryContribution.paying_unit,
                )
            ),
        )
        .join(RegistryInsuredPerson)
        .where(
            RegistryInsuredPerson.id_number_index == person,
            RegistryContribution.month >= start,
            RegistryContribution.month < end,
        )
        .tuples()
    )
)
_TYPE_ORDER = {kind: n for n, kind in enumerate(registry.INSURANCE_TYPES)}


def _contribution_order(record):
    return record.month, _TYPE_ORDER.get(record.insurance_type, 99)


class LocalRegistry(local.LocalRegistry):
    """The embedded registry: cards (webapp.registry.local) and social insurance records."""

    def insured_person(self, id_number):
        person = _person_by_key.first(_person_key(id_number))
        if person is None:
            return None
        person_id, name, region = person
        employments = _employments_of.all(person_id)
        participations = {row[0]: row for row in _participations_of.all(person_id)}
        return registry.InsuredPerson(
            name=name,
            region=region,
            employments=tuple(registry.Employment(*row) for row in employments),
            participations=tuple(
                registry.Participation(*participations[kind])
                for kind in registry.INSURANCE_TYPES
                if kind in participations
            ),
        )

    def balances(self, id_number):
        return [registry.AccountBalance(*row) for row in _balances_of.all(_person_key(id_number))]

    def contribution_span(self, id_number):
        first, last = _contribution_span.first(_person_key(id_number)) or (None, None)
        return (_as_date(first), _as_date(last)) if first else None

    def contributions(self, id_number, year):
        month = RegistryContribution.month
        rows = _contributions_between.all(
            _person_key(id_number),
            month.db_value(datetime.date(year, 1, 1)),
            month.db_value(datetime.date(year + 1, 1, 1)),
        )
        records = [registry.Contribution._make(row) for row in rows]
        records.sort(key=_contribution_order)
        return records

    def payable_items(self, id_number):
        rows = _payable_items_of.all(_person_key(id_number))
        return [registry.PayableItem(*row[:-1], paid=bool(row[-1])) for row in rows]

    def record_payment(self, id_number, code, *, base_fen, amount_fen, bank_reference, paid_at):
        row = (
            _person_query(RegistryPayableItem, id_number)
            .where(RegistryPayableItem.code == code)
            .first()
        )
        if row is None:
            raise registry.NotPayable("unknown")
        item = row.as_item()
        if not item.is_open(clock.local(paid_at).date()):
            raise registry.NotPayable("closed")
        if item.has_base and (base_fen is None or not item.base_allowed(base_fen)):
            raise registry.NotPayable("amount")
        if amount_fen != item.amount_for(base_fen):
            raise registry.NotPayable("amount")
        # Guarded: of two payments of one item, only the first marks it paid.
        marked = (
            RegistryPayableItem.update(paid_at=paid_at)
            .where(RegistryPayableItem.id == row.id, RegistryPayableItem.paid_at.is_null())
            .execute()
        )
        if marked != 1:
            raise registry.NotPayable("paid")
        payment = RegistryPayment.create(
            reference="RP" + secrets.token_hex(6).upper(),
            person=row.person_id,
            item=row,
            bank_reference=bank_reference,
            base_fen=base_fen if item.has_base else None,
            amount_fen=amount_fen,
            paid_at=paid_at,
        )
        if item.kind == registry.FLEXIBLE_PENSION:
            _credit_flexible_month(row, base_fen, amount_fen)
        return payment.reference


def _credit_flexible_month(row, base_fen, amount_fen):
    """A flexible-employment pension payment is that month's pension contribution, self-paid."""
    year, month = (int(part) for part in row.period.split("-"))
    RegistryContribution.create(
        person=row.person_id,
        month=datetime.date(year, month, 1),
        insurance_type=registry.PENSION,
        base_fen=base_fen,
        employer_fen=0,
        personal_fen=amount_fen,
        status=registry.PAID,
        paid_by=registry.BY_SELF,
    )


def _as_date(value):
    """SQLite returns an aggregate of dates as text; PostgreSQL as a date."""
    if isinstance(value, str):
        return datetime.date.fromisoformat(value[:10])
    return value
