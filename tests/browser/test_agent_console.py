"""The agent console in Chromium: at a 1280 px desk and on a 360 px phone, JavaScript on and off.

An agent finds the lost-card persona by ID number and reads why her application fails; then
finds a customer whose verification is locked, unlocks it, and the customer finishes binding.
"""

import datetime
import itertools
import re

import pytest

from tests import wizard
from tests.browser.conftest import CHROMIUM_ARGS, Problems, code_from_outbox, log_in, screenshot
from webapp import agents, clock, demo, sign_in
from webapp.identifiers import make_resident_id
from webapp.models import Account, Application, Binding, Customer
from webapp.registry.local import put_card

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1}
_serial = itertools.count(1)


class ShiftedClock(clock.Clock):
    """Real time, moved ahead on demand: the live server skips a resend wait without sleeping."""

    def __init__(self):
        self.shift = datetime.timedelta()

    def now(self):
        return super().now() + self.shift

    def advance(self, **delta):
        self.shift += datetime.timedelta(**delta)


@pytest.fixture
def shifted_clock():
    """The live server's clock, movable ahead; put back afterwards."""
    moved = ShiftedClock()
    previous = clock.use(moved)
    yield moved
    clock.use(previous)


@pytest.fixture
def open_desk(browser, live_server):
    """Open a desktop-sized page (1280 x 800): open_desk(locale="en-US", javascript=True)."""
    contexts = []

    def open_(locale="en-US", javascript=True):
        context = browser.new_context(
            **DESKTOP, locale=locale, java_script_enabled=javascript, base_url=live_server.url
        )
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.problems = Problems()
        page.problems.watch(page)
        return page

    yield open_
    for context in contexts:
        context.close()


def sign_in_agent(page, username="agent.li"):
    """Sign in at the agent login, as an agent would."""
    page.goto("/agent/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(agents.DEMO_PASSWORD)
    page.locator("form:not(.inline-form) button[type=submit]").click()
    page.wait_for_url(re.compile(r"/agent/search$"))


def search(page, query, reason="customer_call"):
    """Type an identifier, give the reason, search."""
    page.get_by_label("Application reference, ID number, mobile number or card number").fill(query)
    page.get_by_label("Reason for looking up").select_option(reason)
    page.get_by_role("button", name="Search", exact=True).click()


def fill_card_details(page, name, id_number, card, region):
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Resident ID number").fill(id_number)
    page.get_by_label("Social security card number").fill(card)
    page.get_by_label("Insured region").select_option(region)


def walk_to_submit(page, name, id_number, card, region):
    """Steps 1 to 4 of the wizard, ending with Agree and submit."""
    page.goto("/bind")
    page.get_by_role("button", name="I have these: start").click()
    page.wait_for_url(re.compile(r"/card$"))
    fill_card_details(page, name, id_number, card, region)
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator("input[name=account]:not([disabled])").first.check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(re.compile(r"/check$"))
    page.locator("input[name=agree]").check()
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name="Agree and submit").click()


def new_customer():
    """A customer of the live app with an active card and a debit account of their own."""
    n = 700 + next(_serial) + 100 * (datetime.datetime.now().microsecond % 89)
    id_number = make_resident_id("440106", datetime.date(1987, 1, 1) + datetime.timedelta(n), 7)
    customer = Customer.create(
        username=f"agentcase.{n}",
        password_hash=sign_in.hash_password(demo.PASSWORD),
        name="周小红",
        id_number=id_number,
    )
    Account.create(
        customer=customer,
        number=f"62220299{n:011d}",
        balance_fen=50_000,
        reserved_mobile=f"+86137{n:08d}",
    )
    card = f"K{n:08d}"
    put_card(card, "周小红", id_number, "440100", "active")
    return customer, id_number, card, f"137{n:08d}"


def enter_wrong_code(page):
    """Submit a wrong code and wait for the answer (a page, or an htmx swap)."""
    page.locator("input[name=code]").fill("000000")
    with page.expect_response(lambda r: r.request.method == "POST" and "/verify" in r.url):
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state()


def test_an_agent_finds_the_lost_card_persona_by_id_number_and_reads_why_it_fails(
    open_page, open_desk
):
    name, id_number, card, region = wizard.persona("wang.fang")
    wang = open_page()
    log_in(wang, "wang.fang")
    walk_to_submit(wang, name, id_number, card, region)
    wang.get_by_text("Your card is reported lost. Report it found").wait_for()

    desk = open_desk()
    sign_in_agent(desk)
    screenshot(desk, "agent-1280-search")
    desk.evaluate("window.__searchSwappedInPlace = true")
    search(desk, id_number)
    desk.get_by_text("1 customer found by ID number 310104********0424").wait_for()
    # Focus is on the results' heading, which a screen reader then reads out.
    focused = desk.evaluate("document.activeElement.outerHTML")
    assert focused.startswith("<h2") and "1 customer found" in focused, focused
    # htmx swapped the results in: the page that was loaded is still the same document.
    assert desk.evaluate("window.__searchSwappedInPlace === true")
    assert desk.url.endswith("/agent/search") and id_number not in desk.url
    screenshot(desk, "agent-1280-search-results")
    with desk.expect_navigation(url=re.compile(r"/agent/customers/\d+$")):
        desk.get_by_role("link", name=re.compile(r"王\* · 310104")).click()
    assert desk.get_by_text("Why it is stuck").is_visible()
    assert desk.get_by_text("Refused by the check: card reported lost.").is_visible()
    # Said once: the open application's card does not say it again.
    lost = desk.get_by_text("Your card is reported lost. Report it found")
    assert lost.count() == 1 and lost.is_visible()
    assert desk.get_by_text("Submitted, but a pre-flight check failed").is_visible()
    assert id_number not in desk.content() and card not in desk.content()
    screenshot(desk, "agent-1280-record-lost-card")
    assert desk.problems == [], "\n".join(desk.problems)

    phone = open_page(javascript=False)
    sign_in_agent(phone)
    search(phone, id_number)
    phone.get_by_text("1 customer found by ID number").wait_for()
    screenshot(phone, "agent-360-nojs-search-results")
    phone.get_by_role("link", name=re.compile(r"王\* · 310104")).click()
    phone.get_by_text("Why it is stuck").wait_for()
    screenshot(phone, "agent-360-record-lost-card")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the record is {width} px wide on a 360 px phone"

    chinese = open_page(locale="zh-CN")
    sign_in_agent(chinese)
    chinese.goto(desk.url)
    # No search of this agent's led here: the record asks why before it opens.
    assert chinese.get_by_role("heading", name="为什么要打开这份客户档案？").is_visible()
    screenshot(chinese, "agent-360-zh-why")
    chinese.get_by_label("打开档案的原因").select_option("complaint")
    chinese.get_by_role("button", name="打开档案").click()
    chinese.get_by_text("受阻原因").wait_for()
    assert chinese.url == desk.url
    screenshot(chinese, "agent-360-zh-record-lost-card")
    assert chinese.problems == [], "\n".join(chinese.problems)


def test_an_agent_unlocks_a_locked_customer_who_then_completes_verification(
    open_page, open_desk, shifted_clock
):
    customer, id_number, card, mobile = new_customer()
    phone = open_page()
    log_in(phone, customer.username)
    walk_to_submit(phone, "周小红", id_number, card, "440100")
    phone.wait_for_url(re.compile(r"/verify$"))
    for _ in range(5):
        enter_wrong_code(phone)
    shifted_clock.advance(seconds=61)
    phone.reload()
    phone.get_by_role("button", name="Send a new code").click()
    phone.wait_for_load_state()
    for _ in range(5):
        enter_wrong_code(phone)
    phone.get_by_text("Verification is locked until").first.wait_for()
    screenshot(phone, "agent-case-customer-locked-360")

    desk = open_desk()
    sign_in_agent(desk)
    search(desk, mobile, reason="complaint")
    desk.get_by_text("1 customer found by mobile number").wait_for()
    desk.get_by_role("link", name=re.compile(r"周\*红")).click()
    desk.get_by_text("Verification locked").first.wait_for()
    assert desk.get_by_text("after 10 wrong entries").is_visible()
    screenshot(desk, "agent-1280-record-locked")
    desk.get_by_role("link", name="Unlock verification").click()
    desk.get_by_role("heading", name="Unlock verification?").wait_for()
    desk.get_by_role("button", name="Unlock verification").click()
    assert desk.get_by_text("Choose the reason for this action").first.is_visible()
    desk.get_by_label("Reason").select_option("customer_call")
    screenshot(desk, "agent-1280-unlock-confirm")
    desk.get_by_role("button", name="Unlock verification").click()
    desk.get_by_text(
        "Verification unlocked. The customer can ask for a new code once a minute has passed since the last one."
    ).wait_for()
    assert desk.get_by_text("Verification is not locked.").is_visible()
    assert desk.get_by_text("Agent 李晓明").first.is_visible()
    screenshot(desk, "agent-1280-record-unlocked")
    assert desk.problems == [], "\n".join(desk.problems)

    shifted_clock.advance(seconds=61)
    phone.reload()
    assert not phone.get_by_text("Verification is locked until").count()
    phone.get_by_role("button", name="Send a new code").click()
    phone.wait_for_load_state()
    phone.locator("input[name=code]").fill(code_from_outbox(phone, mobile[-4:]))
    phone.get_by_role("button", name="Confirm").click()
    phone.wait_for_url(re.compile(r"/done$"))
    assert Binding.active_for(customer) is not None
    assert Application.get(Application.customer == customer).status == "bound"
    assert phone.problems == [], "\n".join(phone.problems)


def test_a_supervisor_reads_the_access_log_on_a_desk_and_a_phone(open_page, open_desk):
    desk = open_desk()
    sign_in_agent(desk, "supervisor.wu")
    search(desk, "13800138000", reason="fraud_check")
    desk.get_by_text("1 customer found").wait_for()
    desk.get_by_role("link", name="Access log").click()
    desk.wait_for_url(re.compile(r"/agent/access-log$"))
    assert desk.get_by_text("Searched a mobile number").first.is_visible()
    assert "13800138000" not in desk.content()
    screenshot(desk, "agent-1280-access-log")
    assert desk.problems == [], "\n".join(desk.problems)

    phone = open_page(locale="zh-CN")
    sign_in_agent(phone, "supervisor.wu")
    phone.goto("/agent/access-log")
    screenshot(phone, "agent-360-zh-access-log")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the access log is {width} px wide on a 360 px phone"
    assert phone.problems == [], "\n".join(phone.problems)


def test_console_pages_have_no_csp_or_script_problems_at_1280(open_desk):
    desk = open_desk(javascript=True)
    sign_in_agent(desk)
    for path in ("/agent/search", "/agent/customers/1"):
        desk.goto(path)
    assert desk.problems == [], "\n".join(desk.problems)
    assert CHROMIUM_ARGS
