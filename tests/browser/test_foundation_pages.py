"""The guide, login and dashboard on a 360 px phone, with JavaScript on and off, in both languages."""

import re

import pytest

from tests.browser.conftest import check_phone_layout, log_in, screenshot
from webapp import sms
from webapp.models import Customer

pytestmark = pytest.mark.browser

TEXTS = {
    "en-US": {
        "guide": [
            "Bind your social security card to online banking",
            "What you need",
            "Legal basis",
            "Log in to start",
        ],
        "login": ["Log in to online banking", "Username", "Password"],
        "dashboard": ["Hello, 张*", "My accounts", "Social security card", "****2345"],
        "switch_to": "中文",
    },
    "zh-CN": {
        "guide": ["将社保卡绑定到网上银行", "需要准备", "登录并开始办理"],
        "login": ["登录网上银行", "用户名", "密码"],
        "dashboard": ["您好，张*", "我的账户", "社保卡", "****2345"],
        "switch_to": "English",
    },
}
PHONES = [
    pytest.param(locale, javascript, id=f"{locale}-{'js' if javascript else 'nojs'}")
    for locale in TEXTS
    for javascript in (True, False)
]
TAPPABLE = (
    "button, .button, .link-button, summary, select, textarea, "
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
    # Links that stand on their own (not words in a sentence): Back, Change, the error summary's
    "a.link, .error-summary a, .summary__action a"
)


# A <summary> laid out as flex loses the native triangle; something must show that it opens.
SHOWS_A_DISCLOSURE_MARKER = """
(summary) => getComputedStyle(summary).display === "list-item"
  || ["::before", "::after"].some((pseudo) => {
    const style = getComputedStyle(summary, pseudo);
    return style.content !== "none" && style.display !== "none"
      && (parseFloat(style.width) > 0 || style.content.length > 2);
  })
"""


def _check_phone_layout(page):
    check_phone_layout(page, TAPPABLE)


def _check_texts(page, texts):
    body = page.locator("body")
    for text in texts:
        assert page.get_by_text(text, exact=False).first.is_visible(), f"{text!r} not visible"
    assert body.is_visible()


def _name(what, locale, javascript):
    return f"{what}-{locale}-{'js' if javascript else 'nojs'}"


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_guide_reads_well_on_a_phone(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    response = page.goto("/")
    assert response.status == 200
    _check_texts(page, TEXTS[locale]["guide"])
    assert page.locator("html").get_attribute("lang") == ("en" if locale == "en-US" else "zh-Hans")
    _check_phone_layout(page)
    screenshot(page, _name("guide", locale, javascript))
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_guide_questions_open_on_tap(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    page.goto("/")
    question = page.locator("details").first
    answer = question.locator("p")
    assert not answer.is_visible()
    assert question.locator("summary").evaluate(SHOWS_A_DISCLOSURE_MARKER), "looks like a heading"
    question.locator("summary").tap()
    assert answer.is_visible()
    _check_phone_layout(page)
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_login_form_fits_a_phone(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    page.goto("/")
    page.get_by_role("link", name=TEXTS[locale]["guide"][-1]).first.click()
    page.wait_for_url(re.compile(r"/login$"))
    _check_texts(page, TEXTS[locale]["login"])
    assert page.locator("input[name=username]").get_attribute("autocomplete") == "username"
    assert page.locator("input[name=password]").get_attribute("autocomplete") == "current-password"
    _check_phone_layout(page)
    screenshot(page, _name("login", locale, javascript))
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_wrong_password_shows_an_error_summary_that_fits(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    page.goto("/login")
    page.locator("input[name=username]").fill("zhang.wei")
    page.locator("input[name=password]").fill("not-the-password")
    page.locator("form:not(.inline-form) button[type=submit]").click()
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible()
    if javascript:
        page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    _check_phone_layout(page)
    screenshot(page, _name("login-error", locale, javascript))
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_dashboard_after_logging_in_through_the_form(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    log_in(page)
    _check_texts(page, TEXTS[locale]["dashboard"])
    # Other browser tests share this server and may move money, so only the format is fixed here.
    balance = page.locator(".account__balance").first.inner_text()
    assert re.fullmatch(r"¥\d{1,3}(,\d{3})*\.\d{2}", balance.split("\n")[-1].strip()), balance
    content = page.content()
    assert "6222021001000012345" not in content
    _check_phone_layout(page)
    screenshot(page, _name("dashboard", locale, javascript))
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale, javascript", PHONES)
def test_header_button_switches_the_language_and_it_stays(open_page, locale, javascript):
    page = open_page(locale=locale, javascript=javascript)
    other = "zh-CN" if locale == "en-US" else "en-US"
    page.goto("/login")
    page.get_by_role("link", name=TEXTS[locale]["switch_to"]).click()
    page.wait_for_url(re.compile(r"/login\??$"))
    _check_texts(page, TEXTS[other]["login"])
    page.goto("/")
    _check_texts(page, TEXTS[other]["guide"])
    page.get_by_role("link", name=TEXTS[other]["switch_to"]).click()
    page.wait_for_url(re.compile(r"/\??$"))
    _check_texts(page, TEXTS[locale]["guide"])
    assert not page.problems, page.problems


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_logging_out_returns_to_the_login_page(open_page, javascript):
    page = open_page(javascript=javascript)
    log_in(page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login\?logged_out=1$"))
    assert page.get_by_text("You have logged out.").is_visible()
    page.goto("/dashboard")
    assert re.search(r"/login", page.url)
    assert not page.problems, page.problems


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_development_outbox_wraps_long_messages_on_a_phone(open_page, live_server, locale):
    text = (
        "Example Bank: social security card ****2876 is now bound to account ****2345. "
        "If this was not you, call 95588 at once."
    )
    with live_server.app.app_context():
        zhang = Customer.get(Customer.username == "zhang.wei")
        sms.send_notice(customer=zhang, mobile="+8613800138000", text=text)
    page = open_page(locale=locale)
    page.goto("/dev/outbox")
    assert page.get_by_text("If this was not you, call 95588 at once.").first.is_visible()
    _check_phone_layout(page)
    screenshot(page, f"outbox-{locale}")
    assert not page.problems, page.problems


def test_shared_fixtures_give_the_promised_phones(page, page_nojs, page_zh):
    page.goto("/")
    page_zh.goto("/")
    page_nojs.goto("/")
    assert page.evaluate("navigator.language") == "en-US"
    assert page_zh.locator("h1").inner_text() == "将社保卡绑定到网上银行"
    assert page.evaluate("window.devicePixelRatio") == 2
    assert page.evaluate("'ontouchstart' in window")
    assert page_nojs.evaluate("typeof htmx") == "undefined", "scripts ran with JavaScript off"
    assert page.evaluate("typeof htmx") == "object", "htmx did not load under the CSP"


def test_a_message_after_a_redirect_takes_focus_on_a_whole_page(page):
    log_in(page, "liu.yang")
    page.goto("/bind")  # her card is bound: she is sent to her binding, and told why
    page.wait_for_url(re.compile(r"/binding$"))
    focused = page.evaluate("document.activeElement.outerHTML")
    assert focused.startswith('<div class="notice notice--info"'), focused[:80]
    assert "Your social security card is already bound." in focused
