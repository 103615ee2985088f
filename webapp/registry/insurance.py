"""The local registry's social insurance records, and the adapter that serves cards and records.

Insured persons are found by the blind index of their ID number (their social security number,
Social Insurance Law art. 58), never by decrypting a table. Money is integer fen throughout.
"""

import datetime
import secrets

from peewee import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from webapp import clock, pii, registry
from webapp.models.base import BaseModel
from webapp.prepared import Prepared
from webapp.registry import local


class MonthField(DateField):
    """A month, stored as its first day. SQLite hands dates back as text: they are read with
    date.fromisoformat, not Peewee's strptime, which costs more than the rest of a row."""

    def python_value(self, value):
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value[:10])
            except ValueError:
                pass
        return super().python_value(value)


class RegistryInsuredPerson(BaseModel):
    """An insured person; their social security number is their ID number."""

    id_number = pii.EncryptedField()
    id_number_index = pii.BlindIndexField("ric", "id_number", unique=True)
    name = CharField(max_length=30)
    region = CharField(max_length=6)
    updated_at = DateTimeField(default=clock.now)

    @classmethod
    def by_id_number(cls, id_number):
        """The person with this ID number, or None."""
        return cls.get_or_none(cls.id_number_index == id_number)


class RegistryEmployment(BaseModel):
    """An employer of a person, with the employment start and the insurance registration."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="employments", on_delete="RESTRICT")
    employer = CharField(max_length=100)
    started_on = DateField()
    registered_on = DateField()
    ended_on = DateField(null=True)


class RegistryParticipation(BaseModel):
    """A person's participation in one insurance type."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="participations", on_delete="RESTRICT")
    insurance_type = CharField(max_length=20)
    status = CharField(max_length=20)
    started_on = DateField()

    class Meta:
        indexes = ((("person", "insurance_type"), True),)


class RegistryContribution(BaseModel):
    """One month's contribution to one insurance type (month is the month's first day)."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="contributions", on_delete="RESTRICT")
    month = MonthField()
    insurance_type = CharField(max_length=20)
    base_fen = BigIntegerField()
    employer_fen = BigIntegerField()
    personal_fen = BigIntegerField()
    status = CharField(max_length=10)
    paid_by = CharField(max_length=10)
    paying_unit = CharField(max_length=100, default="")

    class Meta:
        indexes = ((("person", "month", "insurance_type"), True),)


class RegistryAccountBalance(BaseModel):
    """A personal account (pension or medical) and its balance on a date."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="balances", on_delete="RESTRICT")
    kind = CharField(max_length=10)
    balance_fen = BigIntegerField()
    as_of = DateField()

    class Meta:
        indexes = ((("person", "kind"), True),)


class RegistryPayableItem(BaseModel):
    """A fee a person may pay in a window: a fixed amount, or a rate of a base in a range."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="payable_items", on_delete="RESTRICT")
    code = CharField(max_length=30)
    kind = CharField(max_length=30)
    period = CharField(max_length=7)
    amount_fen = BigIntegerField(null=True)
    base_min_fen = BigIntegerField(null=True)
    base_max_fen = BigIntegerField(null=True)
    rate_bp = IntegerField(null=True)
    opens_on = DateField()
    closes_on = DateField()
    paid_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("person", "code"), True),)

    def as_item(self):
        return registry.PayableItem(
            code=self.code,
            kind=self.kind,
            period=self.period,
            opens_on=self.opens_on,
            closes_on=self.closes_on,
            amount_fen=self.amount_fen,
            base_min_fen=self.base_min_fen,
            base_max_fen=self.base_max_fen,
            rate_bp=self.rate_bp,
            paid=self.paid_at is not None,
        )


class RegistryPayment(BaseModel):
    """The registry's record of a fee paid through the bank: one per payable item."""

    reference = CharField(max_length=20, unique=True)
    person = ForeignKeyField(RegistryInsuredPerson, backref="payments", on_delete="RESTRICT")
    item = ForeignKeyField(RegistryPayableItem, unique=True, on_delete="RESTRICT")
    bank_reference = CharField(max_length=20, unique=True)
    base_fen = BigIntegerField(null=True)
    amount_fen = BigIntegerField()
    paid_at = DateTimeField()


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


# The contributions page asks these on every request: compiled once (see webapp.prepared).
_contribution_span = Prepared(
    lambda person: (
        RegistryContribution.select(
            fn.MIN(RegistryContribution.month), fn.MAX(RegistryContribution.month)
        )
        .join(RegistryInsuredPerson)
        .where(RegistryInsuredPerson.id_number_index == person)
        .tuples()
    )
)
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
        person = RegistryInsuredPerson.by_id_number(id_number)
        if person is None:
            return None
        employments = person.employments.order_by(RegistryEmployment.started_on)
        participations = {row.insurance_type: row for row in person.participations}
        return registry.InsuredPerson(
            name=person.name,
            region=person.region,
            employments=tuple(
                registry.Employment(row.employer, row.started_on, row.registered_on, row.ended_on)
                for row in employments
            ),
            participations=tuple(
                registry.Participation(
                    kind, participations[kind].status, participations[kind].started_on
                )
                for kind in registry.INSURANCE_TYPES
                if kind in participations
            ),
        )

    def balances(self, id_number):
        rows = _person_query(RegistryAccountBalance, id_number).order_by(
            RegistryAccountBalance.kind.desc()
        )
        return [registry.AccountBalance(row.kind, row.balance_fen, row.as_of) for row in rows]

    def contribution_span(self, id_number):
        first, last = _contribution_span.first(_person_key(id_number))
        return (_as_date(first), _as_date(last)) if first else None

    def contributions(self, id_number, year):
        month = RegistryContribution.month
        rows = _contributions_between.execute(
            _person_key(id_number),
            month.db_value(datetime.date(year, 1, 1)),
            month.db_value(datetime.date(year + 1, 1, 1)),
        )
        records = [registry.Contribution._make(row) for row in rows]
        records.sort(key=_contribution_order)
        return records

    def payable_items(self, id_number):
        rows = _person_query(RegistryPayableItem, id_number).order_by(
            RegistryPayableItem.opens_on, RegistryPayableItem.code
        )
        return [row.as_item() for row in rows]

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


def put_person(id_number, name, region):
    """The insured person with this ID number, created or updated."""
    person = RegistryInsuredPerson.by_id_number(id_number) or RegistryInsuredPerson(
        id_number=id_number
    )
    person.name, person.region, person.updated_at = name, region, clock.now()
    person.save()
    return person


def put_contribution(person, **values):
    """Insert or replace one month's contribution of one type; returns True when it was new."""
    row = RegistryContribution.get_or_none(
        RegistryContribution.person == person,
        RegistryContribution.month == values["month"],
        RegistryContribution.insurance_type == values["insurance_type"],
    )
    created = row is None
    row = row or RegistryContribution(person=person)
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return created
