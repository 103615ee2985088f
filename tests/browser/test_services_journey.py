"""A bound customer on a 360 px phone reads contributions and pays a fee, JavaScript on and off."""

import re

import pytest
from flask_babel import gettext

from tests.browser.conftest import (
    check_phone_layout,
    code_from_outbox,
    log_in,
    screenshot,
    wait_for_htmx,
)
from webapp import registry
from webapp.models import Account, Customer, Payment
from webapp.registry.insurance import RegistryPayableItem, RegistryPayment

pytestmark = pytest.mark.browser

RESIDENT = (
    f"RM-{registry.today().year + 1 if registry.today().month >= 9 else registry.today().year}"
)
# Everything a thumb aims at on these pages: buttons, the section tabs, form controls, links
# styled as actions, disclosure summaries.
TAPPABLE = (
    "main button, main .button, main .link, main .links a, main summary, main select, "
    ".services-nav a, "
    "main input:not([type=hidden]), main .error-summary a"
)
# What the customer reads and taps, as the app says it in the page's language.
MSGIDS = {
    "services": "Social security records and fees",
    "overview": "My social security",
    "late": "An employer registered you late",
    "contributions": "Contributions",
    "in_year": "Contributions in %(year)s",
    "show": "Show",
    "pay_fees": "Pay fees",
    "confirm": "Confirm your payment",
    "send": "Send the code",
    "authorise": "Authorise the payment",
    "pay_amount": "Pay %(amount)s",
    "made": "Payment made",
    "item": "Urban and rural resident medical insurance",
}


class Words:
    """The journey's words in one language, from the app's own catalog."""

    def __init__(self, app, locale):
        self.app, self.locale = app, locale

    def __call__(self, name, **values):
        with self.app.test_request_context(headers={"Accept-Language": self.locale}):
            return gettext(MSGIDS[name], **values)


@pytest.fixture
def unpaid_resident_item(live_server):
    """liu.yang's resident medical insurance open for payment again (each test pays it once)."""
    item = RegistryPayableItem.get(RegistryPayableItem.code == RESIDENT)
    RegistryPayment.delete().where(RegistryPayment.item == item).execute()
    RegistryPayableItem.update(paid_at=None).where(RegistryPayableItem.id == item.id).execute()
    return item


def balance_of_liu():
    return Account.of(Customer.get(Customer.username == "liu.yang")).first().balance_fen


def read_contributions(page, words, shots, javascript):
    """From the dashboard to the overview, then contributions, switching the year."""
    log_in(page, "liu.yang")
    page.get_by_role("link", name=words("services")).click()
    page.wait_for_url(re.compile(r"/services$"))
    assert page.get_by_role("heading", name=words("overview")).is_visible()
    assert page.get_by_role("heading", name=words("late")).is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-1-overview")

    page.locator(".services-nav").get_by_role(
        "link", name=words("contributions"), exact=True
    ).click()
    page.wait_for_url(re.compile(r"/services/contributions$"))
    latest = int(page.locator("select[name=year] option").first.inner_text())
    assert page.get_by_role("heading", name=words("in_year", year=latest)).is_visible()
    page.evaluate("window.__noReload = true")
    earlier = latest - 2
    if javascript:
        wait_for_htmx(page.locator("form.year-filter"))
    page.locator("select[name=year]").select_option(str(earlier))
    if not javascript:
        page.get_by_role("button", name=words("show")).click()
    heading = page.get_by_role("heading", name=words("in_year", year=earlier))
    heading.wait_for()
    page.wait_for_url(re.compile(rf"/services/contributions\?year={earlier}$"))
    if javascript:
        # The year swapped in place: the same document, announced to screen readers.
        assert page.evaluate("window.__noReload === true")
        assert str(earlier) in page.locator("#year-status").inner_text()
    page.locator("details summary").first.click()
    assert page.locator("table.records").first.is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-2-contributions-{earlier}")


def pay_resident_medical(page, words, shots):
    """Pay fees → the resident medical item → confirm → code from the outbox → receipt."""
    before = balance_of_liu()
    page.locator(".services-nav").get_by_role("link", name=words("pay_fees"), exact=True).click()
    page.wait_for_url(re.compile(r"/services/pay$"))
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-3-fees")
    page.locator(f"a[href='/services/pay/{RESIDENT}']").click()
    page.wait_for_url(re.compile(rf"/services/pay/{RESIDENT}$"))
    assert page.get_by_role("heading", name=words("confirm")).is_visible()
    assert page.get_by_text("****5678").first.is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-4-confirm")

    page.get_by_role("button", name=words("send")).click()
    page.wait_for_url(re.compile(r"/authorise\?key="))
    assert page.get_by_role("heading", name=words("authorise")).is_visible()
    code_field = page.locator("input[name=code]")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    code_field.fill(code_from_outbox(page, "2222"))
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-5-code")
    page.get_by_role("button", name=words("pay_amount", amount="¥400.00")).click()
    page.wait_for_url(re.compile(r"/services/payments/SSP-"))

    assert page.get_by_role("heading", name=words("made")).is_visible()
    receipt_number = page.locator(".reference").inner_text()
    payment = Payment.get(Payment.receipt_number == receipt_number)
    assert payment.amount_fen == 40_000 and payment.item_code == RESIDENT
    assert page.get_by_text(words("item")).is_visible()
    assert page.get_by_text("¥400.00").first.is_visible()
    assert page.get_by_text("****5678").first.is_visible()
    assert balance_of_liu() == before - 40_000
    check_phone_layout(page, TAPPABLE)
    screenshot(page, f"{shots}-6-receipt")
    page.emulate_media(media="print")
    assert not page.locator(".masthead").is_visible()
    assert not page.locator(".services-nav").is_visible()
    screenshot(page, f"{shots}-7-receipt-print")
    page.emulate_media(media="screen")

    page.goto("/dashboard")
    lower = f"¥{(before - 40_000) / 100:,.2f}"
    assert page.get_by_text(lower).first.is_visible()
    assert page.problems == [], "\n".join(page.problems)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_bound_customer_reads_contributions_and_pays_resident_medical_insurance(
    open_page, live_server, unpaid_resident_item, javascript
):
    page = open_page(javascript=javascript)
    shots = f"services-en-{'js' if javascript else 'nojs'}"
    words = Words(live_server.app, "en-US")
    read_contributions(page, words, shots, javascript)
    pay_resident_medical(page, words, shots)


def test_in_chinese_a_bound_customer_reads_contributions_and_pays(
    open_page, live_server, unpaid_resident_item
):
    page = open_page(locale="zh-CN")
    words = Words(live_server.app, "zh-CN")
    read_contributions(page, words, "services-zh-js", True)
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert "年" in page.locator(".month__name").first.inner_text()
    pay_resident_medical(page, words, "services-zh-js")


def test_refusals_and_choices_fit_a_phone(open_page):
    page = open_page(javascript=False)
    log_in(page, "zhang.wei")
    page.goto("/services")
    assert page.get_by_role("link", name="Bind my card").is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, "services-no-binding")
    page.context.clear_cookies()

    log_in(page, "liu.yang")
    flexible = f"FP-{registry.today():%Y%m}"
    page.goto(f"/services/pay/{flexible}?base=99999")
    assert page.get_by_text("Enter a base from ¥4,462.00 to ¥22,311.00").first.is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, "services-base-out-of-range")
    page.locator("input[name=base]").fill("6000")
    page.get_by_role("button", name="Continue").click()
    assert page.get_by_text("¥1,200.00").first.is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, "services-confirm-flexible")

    closed = f"RM-{int(RESIDENT[3:]) - 1}"
    page.goto(f"/services/pay/{closed}")
    assert page.get_by_text("window for this item has closed").is_visible()
    check_phone_layout(page, TAPPABLE)
    screenshot(page, "services-window-closed")
    page.goto("/services/payments")
    check_phone_layout(page, TAPPABLE)
    screenshot(page, "services-history")
