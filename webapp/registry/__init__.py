"""The social security registry, reached only through this small interface.

The agency owns the data; the bank reads it. `current()` returns the configured adapter: the
embedded default is the local, database-backed registry (webapp.registry.local). Views and
services call these functions and never touch registry tables.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

CARD_ACTIVE = "active"
CARD_NOT_ACTIVATED = "not_activated"
CARD_LOST = "lost"
CARD_FROZEN = "frozen"
CARD_CANCELLED = "cancelled"
CARD_STATUSES = (CARD_ACTIVE, CARD_NOT_ACTIVATED, CARD_LOST, CARD_FROZEN, CARD_CANCELLED)

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


@dataclass(frozen=True)
class Card:
    """A social security card as the registry knows it."""

    number: str
    holder_name: str
    id_number: str
    region: str
    status: str


class Adapter(ABC):
    """What the bank may ask the registry. Another agency service implements the same methods."""

    @abstractmethod
    def find_card(self, card_number):
        """The card with this number, or None."""

    @abstractmethod
    def cards_of(self, id_number):
        """Every card issued to the holder of this ID number."""


_adapter = None


def current():
    """The configured registry adapter."""
    global _adapter
    if _adapter is None:
        from webapp.registry.local import LocalRegistry

        _adapter = LocalRegistry()
    return _adapter


def find_card(card_number):
    """The card with this number, or None."""
    return current().find_card(card_number)


def cards_of(id_number):
    """Every card issued to the holder of this ID number."""
    return current().cards_of(id_number)
