"""What the services pages say: labels of registry codes, dates and periods, refusals.

Labels, dates and the words of a year of contributions read the same on every page in a
language, so each is put in words once per language (Babel and the translations are slow
next to the rest of a page); amounts are formatted once per page.
"""

import datetime
import functools
from types import SimpleNamespace

from babel.dates import format_skeleton
from flask_babel import format_date
from flask_babel import gettext as _

from webapp import i18n, social_security
from webapp.i18n import lazy_gettext as _l

REFUSALS = {
    "suspended": _l("Payments are paused while your card's services are suspended."),
    "unknown_item": _l("The registry does not offer you this item. Choose one from the list."),
    "paid": _l("This item is already paid. Nothing more was taken from your account."),
    "not_open": _l("The payment window for this item has not opened yet. Come back then."),
    "closed": _l(
        "The payment window for this item has closed, so it cannot be paid online. Call 12333 "
        "or visit a social security service centre."
    ),
    "base_missing": _l("Choose a contribution base first."),
    "base_range": _l("The contribution base is outside the allowed range. Choose another."),
    "amount": _l("The amount does not match what the registry asks for. Start again."),
    "account_unavailable": _l(
        "Your bound account cannot make payments now (it may be frozen). Call the hotline."
    ),
    "insufficient": _l(
        "Your account balance is not enough for this payment. Nothing was taken: add money to "
        "the account, then try again."
    ),
}


def refusal(reason):
    """Why a payment cannot be taken, in words."""
    return REFUSALS.get(reason, REFUSALS["unknown_item"])


# A year of contributions (templates/services/_year.html) repeats these words in every month
# and row.
YEAR_WORDS = {
    "paid": _l("Paid"),
    "in_arrears": _l("In arrears"),
    "base": _l("Base"),
    "employer": _l("Employer"),
    "you": _l("You"),
    "status": _l("Status"),
    "insurance": _l("Insurance"),
    "by_insurance_type": _l("By insurance type"),
    "self_paid": _l("Self-paid (flexible employment)"),
    "paid_by_employers": _l("Paid by employers"),
    "paid_by_you": _l("Paid by you"),
    "months_paid": _l("Months paid"),
    "months_in_arrears": _l("Months in arrears"),
    "months_with_no_record": _l("Months with no record"),
}
# (what, language) -> what was put in words for that language.
_in_words = {}


def _for_language(what, make):
    """What make() gives, made once for the page's language."""
    key = (what, i18n.page_locale())
    value = _in_words.get(key)
    if value is None:
        value = _in_words[key] = make()
    return value


def year_words():
    """The words of a year of contributions, in the page's language."""
    return _for_language(
        "year", lambda: SimpleNamespace(**{name: str(text) for name, text in YEAR_WORDS.items()})
    )


class _Labels(dict):
    """Codes in words; a code without words shows as itself."""

    def __missing__(self, code):
        return str(code)


def _labels(what, labels):
    """The codes in labels -> their words in the page's language."""
    return _for_language(
        what, lambda: _Labels({code: str(label) for code, label in labels.items()})
    )


def insurance_labels():
    """Every insurance type in words (a mapping; an unknown type shows as its code)."""
    return _labels("insurance", social_security.INSURANCE_LABELS)


def insurance_label(kind):
    """An insurance type in words."""
    return insurance_labels()[kind]


def participation_label(status):
    """A participation status in words."""
    return _labels("participation", social_security.PARTICIPATION_LABELS)[status]


def balance_label(kind):
    """A personal account in words."""
    return _labels("balance", social_security.BALANCE_LABELS)[kind]


def item_label(kind):
    """A payable item's kind in words."""
    return _labels("item", social_security.ITEM_LABELS)[kind]


class _Texts(dict):
    """Values -> their text on one page, each made the first time the page asks for it."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, value):
        text = self[value] = self.make(value)
        return text


def amounts():
    """Amounts in fen -> money text, for one page: a year of records shows a few amounts dozens
    of times, and each is formatted once."""
    return _Texts(i18n.format_money)


def month_names():
    """Months (their first days) -> "Nov 2026" / "2026年11月", for one page."""
    locale = i18n.page_locale()
    return _Texts(lambda month: _month_year(month, locale))


def day(value):
    """A calendar date in the page's language."""
    if not value:
        return ""
    if type(value) is datetime.date:
        return _day(value, i18n.page_locale())
    return format_date(value, "medium")


def month_year(value):
    """A month (its first day) as "Nov 2026" / "2026年11月"."""
    return _month_year(value, i18n.page_locale()) if value else ""


def period_label(period):
    """A payable item's period, "2027" or "2026-11", in the page's language."""
    return _period(period, i18n.page_locale())


# The locale argument keys the caches below; Babel and Flask-Babel use the one in force.


@functools.lru_cache(maxsize=4096)
def _day(value, locale):
    return format_date(value, "medium")


@functools.lru_cache(maxsize=1024)
def _month_year(value, locale):
    return format_skeleton("yMMM", value, locale=locale)


@functools.lru_cache(maxsize=256)
def _period(period, locale):
    if len(period) == 7:
        year, month = period.split("-")
        return _month_year(datetime.date(int(year), int(month), 1), locale)
    return _("Year %(year)s", year=period)


def install(blueprint):
    """Make the labels and date filters available to every template."""
    for function in (
        insurance_label,
        insurance_labels,
        year_words,
        amounts,
        month_names,
        participation_label,
        balance_label,
        item_label,
        period_label,
    ):
        blueprint.add_app_template_global(function)
    blueprint.add_app_template_filter(day)
    blueprint.add_app_template_filter(month_year)
