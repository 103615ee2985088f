"""The local registry's social insurance tables, and writing records into them.

Insured persons are found by the blind index of their ID number (their social security number,
Social Insurance Law art. 58), never by decrypting a table. Money is integer fen throughout.
The adapter that answers from these tables is webapp.registry.local_insurance.
"""

import datetime

from peewee import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from webapp import clock, pii, registry
from webapp.models.base import BaseModel


class IsoDateField(DateField):
    """A date. SQLite hands dates back as text: they are read with date.fromisoformat, not
    Peewee's strptime, which takes longer than the rest of a row (a year of records has 60)."""

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
    started_on = IsoDateField()
    registered_on = IsoDateField()
    ended_on = IsoDateField(null=True)


class RegistryParticipation(BaseModel):
    """A person's participation in one insurance type."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="participations", on_delete="RESTRICT")
    insurance_type = CharField(max_length=20)
    status = CharField(max_length=20)
    started_on = IsoDateField()

    class Meta:
        indexes = ((("person", "insurance_type"), True),)


class RegistryContribution(BaseModel):
    """One month's contribution to one insurance type (month is the month's first day)."""

    person = ForeignKeyField(RegistryInsuredPerson, backref="contributions", on_delete="RESTRICT")
    month = IsoDateField()
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
    as_of = IsoDateField()

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
    opens_on = IsoDateField()
    closes_on = IsoDateField()
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


def put_person(id_number, name, region):
    """The insured person with this ID number, created or updated, and which of the two
    (registry.CREATED, UPDATED or UNCHANGED)."""
    person = RegistryInsuredPerson.by_id_number(id_number) or RegistryInsuredPerson(
        id_number=id_number
    )
    outcome = registry.write_record(person, {"name": name, "region": region}, stamp="updated_at")
    return person, outcome


def put_contribution(person, **values):
    """Insert or replace one month's contribution of one type; returns registry.CREATED,
    UPDATED or UNCHANGED."""
    row = RegistryContribution.get_or_none(
        RegistryContribution.person == person,
        RegistryContribution.month == values["month"],
        RegistryContribution.insurance_type == values["insurance_type"],
    )
    return registry.write_record(row or RegistryContribution(person=person), values)
