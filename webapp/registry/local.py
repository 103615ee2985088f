"""The embedded registry: the agency's data kept in local tables, for one-machine deployments."""

from peewee import CharField, DateTimeField

from webapp import clock, pii
from webapp.models.base import BaseModel
from webapp.prepared import Prepared
from webapp.registry import Adapter, Card, write_record


class RegistryCard(BaseModel):
    """A social security card in the local registry."""

    number = pii.EncryptedField()
    number_index = pii.BlindIndexField("card", "number", unique=True)
    holder_name = CharField(max_length=30)
    id_number = pii.EncryptedField()
    id_number_index = pii.BlindIndexField("ric", "id_number", index=True)
    region = CharField(max_length=6)
    status = CharField(max_length=20)
    updated_at = DateTimeField(default=clock.now)

    def as_card(self):
        return Card(self.number, self.holder_name, self.id_number, self.region, self.status)


# Asked on every services page and every binding check: compiled once (see webapp.prepared).
_card_by_number = Prepared(
    lambda number: (
        RegistryCard.select(
            RegistryCard.holder_name,
            RegistryCard.id_number,
            RegistryCard.region,
            RegistryCard.status,
        )
        .where(RegistryCard.number_index == number)
        .tuples()
    )
)


class LocalRegistry(Adapter):
    """Registry adapter over the local tables."""

    def find_card(self, card_number):
        row = _card_by_number.first(RegistryCard.number_index.db_value(card_number))
        # Found by the blind index of the number, so the number is this one: not decrypted again.
        return Card(pii.normalise(card_number), *row) if row else None

    def cards_of(self, id_number):
        rows = RegistryCard.select().where(RegistryCard.id_number_index == id_number)
        return [row.as_card() for row in rows]


def put_card(number, holder_name, id_number, region, status):
    """Insert or update one card by its number; returns registry.CREATED, UPDATED or UNCHANGED."""
    row = RegistryCard.get_or_none(RegistryCard.number_index == number) or RegistryCard(
        number=number
    )
    values = {
        "holder_name": holder_name,
        "id_number": id_number,
        "region": region,
        "status": status,
    }
    return write_record(row, values, stamp="updated_at")
