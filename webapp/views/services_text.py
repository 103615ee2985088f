"""What the services pages say: labels of registry codes, dates and periods, refusals."""

import datetime

from babel.dates import format_skeleton
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import social_security

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
    return format_skeleton("yMMM", value, locale=get_locale()) if value else ""


def period_label(period):
    """A payable item's period, "2027" or "2026-11", in the page's language."""
    if len(period) == 7:
        year, month = period.split("-")
        return month_year(datetime.date(int(year), int(month), 1))
    return _("Year %(year)s", year=period)


def install(blueprint):
    """Make the labels and date filters available to every template."""
    for function in (insurance_label, participation_label, balance_label, item_label, period_label):
        blueprint.add_app_template_global(function)
    blueprint.add_app_template_filter(day)
    blueprint.add_app_template_filter(month_year)
