"""What the services pages say: labels of registry codes, dates and periods, refusals."""

import datetime
import functools
from types import SimpleNamespace

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import i18n, social_security

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


def insurance_label(kind):
    """An insurance type in words."""
    return str(social_security.INSURANCE_LABELS.get(kind, kind))


# A year of contributions (templates/services/_year.html) repeats these words in every month
# and row. They are translated once per language: asking for each on every page cost more
# than laying out a short year.
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
_year_words = {}
_insurance_labels = {}


def _for_language(cache, make):
    """cache's value for the page's language, made the first time that language asks."""
    locale = str(get_locale())
    value = cache.get(locale)
    if value is None:
        value = cache[locale] = make()
    return value


def year_words():
    """The words of a year of contributions, in the page's language."""
    return _for_language(
        _year_words,
        lambda: SimpleNamespace(**{name: str(text) for name, text in YEAR_WORDS.items()}),
    )


class _Labels(dict):
    """Codes in words; a code without words shows as itself."""

    def __missing__(self, code):
        return code


def insurance_labels():
    """Every insurance type in words (a mapping; an unknown type shows as its code)."""
    return _for_language(
        _insurance_labels,
        lambda: _Labels(
            {kind: str(label) for kind, label in social_security.INSURANCE_LABELS.items()}
        ),
    )


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
    locale = get_locale()
    return _Texts(lambda month: _month_year(month, locale))


def participation_label(status):
    """A participation status in words."""
    return str(social_security.PARTICIPATION_LABELS.get(status, status))


def balance_label(kind):
    """A personal account in words."""
    return str(social_security.BALANCE_LABELS.get(kind, kind))


def item_label(kind):
    """A payable item's kind in words."""
    return str(social_security.ITEM_LABELS.get(kind, kind))


def day(value):
    """A calendar date in the page's language."""
    return format_date(value, "medium") if value else ""


def month_year(value):
    """A month (its first day) as "Nov 2026" / "2026年11月"."""
    return _month_year(value, get_locale()) if value else ""


@functools.lru_cache(maxsize=1024)
def _month_year(value, locale):
    # The same in every page of a language; Babel takes longer than the rest of a month's row.
    return format_skeleton("yMMM", value, locale=locale)


def period_label(period):
    """A payable item's period, "2027" or "2026-11", in the page's language."""
    if len(period) == 7:
        year, month = period.split("-")
        return month_year(datetime.date(int(year), int(month), 1))
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
