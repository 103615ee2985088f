"""The base of every model: the app's database, blind indexes kept in step on save."""

from webapp import pii
from webapp.extensions import db


class BaseModel(db.Model):
    """Fills blind indexes from their source fields on every save."""

    def save(self, *args, **kwargs):
        pii.fill_blind_indexes(self)
        return super().save(*args, **kwargs)

    class Meta:
        legacy_table_names = False
