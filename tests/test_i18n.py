"""Two languages: picked from the browser, switchable, remembered; money per locale; a full catalog."""

import datetime
import html
import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from peewee import SqliteDatabase

from tests.conftest import log_in, post_form
from webapp import create_app, i18n
from webapp.i18n import format_money, select_locale
from webapp.models import AuditEvent

pytestmark = pytest.mark.database

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "webapp" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"

GUIDE_EN = "Bind your social security card to online banking"
GUIDE_ZH = "将社保卡绑定到网上银行"


def _guide(client, **headers):
    return client.get("/", headers=headers).get_data(as_text=True)


def _switch(client, lang, next_path="/", **headers):
    return client.get("/language?" + urlencode({"lang": lang, "next": next_path}), headers=headers)


def test_each_page_links_to_the_other_language_and_back_to_itself(customer):
    page = customer.get("/dashboard?tab=1", headers={"Accept-Language": "en"})
    links = re.findall(r'href="(/language\?[^"]+)"', page.get_data(as_text=True))
    assert links == ["/language?lang=zh&amp;next=%2Fdashboard%3Ftab%3D1"]
    response = customer.get(html.unescape(links[0]))
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard?tab=1"
    assert "我的账户" in customer.get("/dashboard").get_data(as_text=True)


def test_switching_language_stores_nothing_and_starts_no_session(client, db_conn):
    events = AuditEvent.select().count()
    response = _switch(client, "en")
    assert [c.split("=")[0] for c in response.headers.getlist("Set-Cookie")] == ["lang"]
    assert AuditEvent.select().count() == events


def test_chinese_browser_gets_chinese(client):
    page = _guide(client, **{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert GUIDE_ZH in page
    assert '<html lang="zh-Hans">' in page


def test_english_browser_gets_english(client):
    page = _guide(client, **{"Accept-Language": "en-US,en;q=0.9"})
    assert GUIDE_EN in page
    assert '<html lang="en">' in page


def test_browser_without_a_language_gets_chinese(app):
    page = app.test_client().get("/").get_data(as_text=True)
    assert GUIDE_ZH in page
    assert GUIDE_EN not in page


def test_browser_asking_for_an_unsupported_language_gets_chinese(client):
    assert GUIDE_ZH in _guide(client, **{"Accept-Language": "fr-FR,de;q=0.8"})


def test_switching_language_is_remembered_and_beats_accept_language(client):
    response = _switch(client, "zh", **{"Accept-Language": "en"})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("lang="))
    flags = [flag.strip().lower() for flag in cookie.split(";")]
    assert "lang=zh" in flags and "httponly" in flags and "samesite=lax" in flags
    assert any(flag.startswith("max-age=") and int(flag[8:]) >= 300 * 24 * 3600 for flag in flags)

    for _ in range(2):
        assert GUIDE_ZH in _guide(client, **{"Accept-Language": "en-US"})
    assert "登录网上银行" in client.get("/login").get_data(as_text=True)

    _switch(client, "en", **{"Accept-Language": "zh-CN"})
    assert GUIDE_EN in _guide(client, **{"Accept-Language": "zh-CN"})


def test_language_choice_survives_login_and_logout(client):
    _switch(client, "zh")
    log_in(client)
    assert "我的账户" in client.get("/dashboard").get_data(as_text=True)
    post_form(client, "/logout", {}, source="/dashboard")
    assert "登录网上银行" in client.get("/login").get_data(as_text=True)


def test_switching_language_returns_to_the_same_page(customer):
    response = _switch(customer, "zh", next_path="/dashboard?tab=1")
    assert response.headers["Location"] == "/dashboard?tab=1"


def test_unknown_language_is_refused(client):
    response = _switch(client, "fr")
    assert response.status_code == 400
    assert not any(c.startswith("lang=") for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "https://evil.example",
        "https://evil.example/dashboard",
        "///evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
    ],
)
def test_language_switch_never_redirects_to_another_site(client, target):
    location = _switch(client, "en", next_path=target).headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc
    assert location.startswith("/") and not location.startswith("//")
    assert "\\" not in location


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example"])
def test_login_never_redirects_to_another_site(client, target):
    response = post_form(
        client,
        f"/login?next={target}",
        {"username": "zhang.wei", "password": "Demo-2026"},
        source="/login",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"


def test_login_returns_to_a_local_next_page(client):
    response = post_form(
        client,
        "/login?next=/dashboard%3Ffrom%3Dguide",
        {"username": "zhang.wei", "password": "Demo-2026"},
        source="/login",
    )
    assert response.headers["Location"] == "/dashboard?from=guide"


@pytest.fixture(scope="module")
def bare_app():
    """The app without a database, for formatting that needs only a request's locale."""
    return create_app({"TESTING": True, "DATABASE": SqliteDatabase(":memory:")})


@pytest.mark.parametrize(
    "accept, locale",
    [
        ("zh-TW", "zh_Hans_CN"),
        ("en-GB", "en"),
        ("zh-Hans-CN", "zh_Hans_CN"),
        ("ja, en;q=0.5", "en"),
        ("en;q=0.9, zh;q=1", "zh_Hans_CN"),
        ("*", "zh_Hans_CN"),
    ],
)
def test_accept_language_preferences_pick_the_closest_language(bare_app, accept, locale):
    with bare_app.test_request_context("/", headers={"Accept-Language": accept}):
        assert str(select_locale()) == locale


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
@pytest.mark.parametrize(
    "fen, shown",
    [
        (123456, "¥1,234.56"),
        (0, "¥0.00"),
        (5, "¥0.05"),
        (100_000_000, "¥1,000,000.00"),
        (-123456, "-¥1,234.56"),
    ],
)
def test_money_is_shown_in_yuan_with_grouping_in_both_languages(bare_app, language, fen, shown):
    with bare_app.test_request_context("/", headers={"Accept-Language": language}):
        assert format_money(fen) == shown


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_dashboard_shows_balances_as_yuan(customer, language):
    page = customer.get("/dashboard", headers={"Accept-Language": language}).get_data(as_text=True)
    assert "¥15,234.50" in page


@pytest.mark.parametrize("language, shown", [("en-US", "$1,200.00"), ("zh-CN", "US$1,200.00")])
def test_an_account_in_another_currency_shows_its_balance_in_that_currency(client, language, shown):
    log_in(client, "chen.jing")
    page = client.get("/dashboard", headers={"Accept-Language": language}).get_data(as_text=True)
    label = "Debit card (US Dollar)" if language == "en-US" else "借记卡（美元）"
    assert label in page
    after = page[page.index("****8901") :]
    balance = after[: after.index("</p>") + 4]
    assert balance.endswith(f"</span>{shown}</p>")


# The catalog: every string a customer can see has a real Chinese translation.


def _catalog():
    with CATALOG.open("rb") as po:
        return read_po(po, locale="zh_Hans_CN")


def _untranslated(catalog):
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(s and s.strip() for s in strings):
            yield message.id


def test_every_catalog_entry_has_a_checked_chinese_translation():
    missing = sorted(str(msgid) for msgid in _untranslated(_catalog()))
    assert not missing, f"{len(missing)} untranslated or fuzzy:" + "".join(
        f"\n  {msgid!r}" for msgid in missing
    )


def test_translations_keep_the_placeholders_of_their_source():
    problems = [
        f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in _catalog().check()
    ]
    assert not problems, problems


def _extracted_msgids():
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_extraction_finds_the_strings_of_code_and_templates():
    extracted = _extracted_msgids()
    assert GUIDE_EN in extracted
    assert "Enter your username" in extracted
    assert "Debit card" in extracted


def test_every_string_in_code_and_templates_is_in_the_catalog():
    in_catalog = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in _catalog()
        if message.id
    }
    missing = {
        msgid: where for msgid, where in _extracted_msgids().items() if msgid not in in_catalog
    }
    assert not missing, (
        f"{len(missing)} strings are not in {CATALOG.name} (run `make messages`, then translate): "
        + "".join(f"\n  {where}: {msgid!r}" for msgid, where in sorted(missing.items()))
    )


MONEY_SAMPLES = [
    *range(-1_000, 1_001),
    *(sign * 10**power + extra for power in range(13) for extra in (-1, 0, 7) for sign in (1, -1)),
    5,
    99,
    100,
    123456789,
    10**12 + 7,
    -(10**12 + 7),
    *range(99_990, 100_011),
]


@pytest.mark.parametrize("language, locale", [("en-US", "en"), ("zh-CN", "zh_Hans_CN")])
def test_money_fast_path_is_byte_identical_to_babel(bare_app, language, locale):
    with bare_app.test_request_context("/", headers={"Accept-Language": language}):
        assert str(i18n.get_locale()) == locale
        for fen in MONEY_SAMPLES:
            sign = "-" if fen < 0 else ""
            amount = format_decimal(Decimal(abs(fen)).scaleb(-2), format="#,##0.00", locale=locale)
            assert format_money(fen) == f"{sign}¥{amount}", fen
    # The fast path served these amounts: Babel was only asked for the locale's symbols.
    assert i18n._money_symbols[locale] == (",", ".")


def test_templates_translate_and_escape_the_values_they_fill_in(app):
    page = app.jinja_env.from_string(
        "{{ _('Hello, %(name)s', name=who) }}|{{ ngettext('%(num)d lookup', '%(num)d lookups', 2) }}"
        "|{{ _('100%% sure') }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert page.render(who="<b>王</b>") == "您好，&lt;b&gt;王&lt;/b&gt;|共 2 次查询|100% sure"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert page.render(who="Li") == "Hello, Li|2 lookups|100% sure"


def test_a_moment_is_written_in_each_pages_language_and_china_time(app):
    moment = datetime.datetime(2026, 5, 1, 10, 30)  # UTC
    when = app.jinja_env.filters["when"]
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert when(moment) == "May 1, 2026, 6:30:00\u202fPM"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert when(moment) == "2026年5月1日 18:30:00"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert when(moment).startswith("May 1, 2026")
