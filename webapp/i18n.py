"""Languages: which one a request gets, and money formatted for it."""

import functools
from decimal import Decimal
from types import SimpleNamespace

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_name,
    get_decimal_symbol,
    get_group_symbol,
)
from flask import has_request_context, request
from flask.globals import _cv_app
from flask_babel import (
    format_date,
    format_datetime,
    format_time,
    get_locale,
    get_translations,
    gettext,
)
from flask_babel.speaklater import LazyString
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

# Short code shown and remembered -> Babel locale used for messages, dates and numbers.
LANGUAGES = {"zh": "zh_Hans_CN", "en": "en"}
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
COOKIE = "lang"
# Short code -> its Babel Locale, parsed once (Flask-Babel takes a Locale as it is).
LOCALES = {code: Locale.parse(name) for code, name in LANGUAGES.items()}


def select_locale():
    """The remembered choice, else the best match for Accept-Language, else Chinese.

    Outside a request (CLI commands for operators) messages are in English.
    """
    if not has_request_context():
        return LOCALES["en"]
    chosen = request.cookies.get(COOKIE)
    if chosen in LOCALES:
        return LOCALES[chosen]
    return _best_match(request.headers.get("Accept-Language", ""))


@functools.lru_cache(maxsize=256)
def _best_match(accept_language):
    """The locale for an Accept-Language header: browsers send a handful of distinct ones."""
    accepted = parse_accept_header(accept_language, LanguageAccept)
    return LOCALES[accepted.best_match(list(LANGUAGES), default="zh")]


def page_translations():
    """The request's translations, found once per locale in force: Flask-Babel seeks them anew
    for every string, which on a page of ~50 strings costs more than the rest of its rendering."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return get_translations()
    locale = page_locale()
    state = app_context.g._flask_babel
    cached = getattr(state, "page_translations", None)
    # force_locale() swaps the locale object, so a pair cached for another locale is refused.
    if cached is not None and cached[0] is locale:
        return cached[1]
    # The app's own Locales' translations are kept for the app's life, as Flask-Babel does.
    own = any(locale is one for one in LOCALES.values())
    kept = app_context.app.extensions.setdefault("page_translations", {})
    translations = kept.get(locale) if own else None
    if translations is None:
        translations = get_translations()
        if own:
            kept[locale] = translations
    state.page_translations = (locale, translations)
    return translations


def _gettext(string, **variables):
    text = page_translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string, **variables):
    """Flask-Babel's lazy_gettext, translated through the request's cached translations: labels
    made at import time are put in words on every page that shows them."""
    return LazyString(_gettext, string, **variables)


_l = lazy_gettext


def page_locale():
    """The locale in force, as get_locale() answers, read straight from Flask-Babel's request
    state (pages ask for it for every amount and date). In a request, the locale is settled
    there on the first call, as get_locale() would settle it (this module is its selector)."""
    app_context = _cv_app.get(None)
    if app_context is None:
        return get_locale()
    state = app_context.g.__dict__.get("_flask_babel")
    if state is None:
        if not has_request_context():
            return get_locale()
        state = app_context.g._flask_babel = SimpleNamespace()
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        locale = state.babel_locale = select_locale()
    return locale


def current_language():
    """ "zh" or "en": the short code of the page's language."""
    locale = page_locale()
    return "zh" if locale is not None and locale.language == "zh" else "en"


def colon():
    """What follows a label before its value: ": " in English, a full-width "：" in Chinese."""
    return "：" if current_language() == "zh" else ": "


def list_separator():
    """Between the items of a short list: ", " in English, the enumeration comma "、" in Chinese."""
    return "、" if current_language() == "zh" else ", "


def format_when(value):
    """A moment as the page's locale writes it ("Nov 27, 2026, 8:15:00 AM"), in China time."""
    return _formatted(value, "medium", str(page_locale())) if value else ""


def format_clock(value):
    """A time of day, short ("8:15 AM")."""
    return _formatted(value, "short", str(page_locale())) if value else ""


def format_day_and_clock(value):
    """A moment to the minute, with its date ("Nov 27, 2026, 8:15 AM"), in China time."""
    return _formatted(value, "day_and_clock", str(page_locale())) if value else ""


@functools.lru_cache(maxsize=4096)
def _formatted(value, width, locale):
    # Babel takes ~50 us a moment, and a page shows the same moments on every visit; the
    # locale is part of the key, and the time zone is the app's one (Asia/Shanghai).
    if width == "medium":
        return format_datetime(value, width)
    if width == "day_and_clock":
        # The date as "medium" writes it, the time as "short", joined as the locale joins them.
        joined = get_locale().datetime_formats["medium"]
        return joined.format(format_time(value, "short"), format_date(value, "medium"))
    return format_time(value, width)


MONEY_PATTERN = "#,##0.00"
# Amounts the fast path is checked against Babel with, once per locale.
_MONEY_PROBES = (0, 5, 99, 100, 123456, 100_000_000, 123456789, 10**12 + 7)
# str(locale) -> (group symbol, decimal symbol), or None when Babel must format for that locale.
_money_symbols = {}


def _babel_money(fen, locale):
    return format_decimal(Decimal(fen).scaleb(-2), format=MONEY_PATTERN, locale=locale)


def _plain_money(fen, group, decimal):
    yuan, cents = divmod(fen, 100)
    whole = f"{yuan:,}"
    if group != ",":
        whole = whole.replace(",", group)
    return f"{whole}{decimal}{cents:02d}"


def _symbols_for(locale):
    """The locale's (group, decimal) symbols if plain integer formatting matches Babel, else None."""
    key = str(locale)
    if key not in _money_symbols:
        symbols = (get_group_symbol(locale), get_decimal_symbol(locale))
        if any(_plain_money(fen, *symbols) != _babel_money(fen, locale) for fen in _MONEY_PROBES):
            symbols = None
        _money_symbols[key] = symbols
    return _money_symbols[key]


def format_money(fen, locale=None, currency="CNY"):
    """Integer fen -> ¥1,234.56 with the digit grouping of a locale (by default the page's).
    An amount in another currency (cents of a USD account) is Babel's: $1,200.00, US$1,200.00.

    Pages format many amounts, so Babel is asked for the locale's symbols once and the digits
    are grouped with integer arithmetic; the output is Babel's, byte for byte.
    """
    sign = "-" if fen < 0 else ""
    locale = page_locale() if locale is None else Locale.parse(locale)
    if currency != "CNY":
        return format_currency(Decimal(fen).scaleb(-2), currency, locale=locale)
    symbols = _symbols_for(locale) if locale is not None and type(fen) is int else None
    if symbols is None:
        return f"{sign}¥{_babel_money(abs(fen), locale)}"
    return f"{sign}¥{_plain_money(abs(fen), *symbols)}"


ACCOUNT_KINDS = {"debit": _l("Debit card"), "credit": _l("Credit card")}
ACCOUNT_STATUSES = {"active": _l("Active"), "frozen": _l("Frozen"), "closed": _l("Closed")}


def account_kind_label(account):
    """“Debit card · Salary” style name for an account."""
    kind = str(ACCOUNT_KINDS.get(account.kind, account.kind))
    if account.currency != "CNY":
        currency = get_currency_name(account.currency, locale=page_locale())
        kind = gettext("%(kind)s (%(currency)s)", kind=kind, currency=currency)
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
    "bound": _l("Completed"),  # The card was bound; the binding has a status of its own.
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
