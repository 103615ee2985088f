"""Languages: which one a request gets, and money formatted for it."""

from decimal import Decimal

from babel.numbers import format_decimal
from flask import has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# Short code shown and remembered -> Babel locale used for messages, dates and numbers.
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
COOKIE = "lang"


def select_locale():
    """The remembered choice, else the best match for Accept-Language, else Chinese.

    Outside a request (CLI commands for operators) messages are in English.
    """
    if not has_request_context():
        return LANGUAGES["en"]
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return LANGUAGES[chosen]
    best = request.accept_languages.best_match(list(LANGUAGES), default="zh")
    return LANGUAGES[best]


def format_money(fen):
    """Integer fen -> ¥1,234.56 with the locale's digit grouping."""
    sign = "-" if fen < 0 else ""
    amount = format_decimal(Decimal(abs(fen)).scaleb(-2), format="#,##0.00", locale=get_locale())
    return f"{sign}¥{amount}"


ACCOUNT_KINDS = {"debit": _l("Debit card"), "credit": _l("Credit card")}
ACCOUNT_STATUSES = {"active": _l("Active"), "frozen": _l("Frozen"), "closed": _l("Closed")}


def account_kind_label(account):
    """“Debit card · Salary” style name for an account."""
    kind = str(ACCOUNT_KINDS.get(account.kind, account.kind))
    if account.currency != "CNY":
        kind = f"{kind} ({account.currency})"
    return f"{kind} · {account.label}" if account.label else kind


def account_status_label(status):
    """The status of an account in words."""
    return str(ACCOUNT_STATUSES.get(status, status))


INELIGIBILITY = {
    "frozen": _l("Frozen: this account cannot be used"),
    "closed": _l("Closed: this account cannot be used"),
    "not_debit": _l("Credit cards cannot be bound"),
    "not_cny": _l("Only CNY accounts can be bound"),
    "no_mobile": _l("No reserved mobile number: add one at a branch first"),
}

APPLICATION_STATUSES = {
    "draft": _l("In progress"),
    "awaiting_verification": _l("Awaiting verification"),
    "bound": _l("Bound"),
    "cancelled": _l("Cancelled"),
    "expired": _l("Expired"),
}


def ineligibility_label(reason):
    """Why an account cannot take a binding, in words."""
    return str(INELIGIBILITY.get(reason, reason))


def application_status_label(status):
    """An application's status in words."""
    return str(APPLICATION_STATUSES.get(status, status))


def region_label(code):
    """An insured region's name."""
    from webapp.registry import REGIONS

    return str(REGIONS.get(code, code or ""))
