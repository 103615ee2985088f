"""The whole binding journey on a 360 px phone: JavaScript on and off, English and Chinese."""

import datetime
import itertools
import re

import pytest

from tests.browser.conftest import (
    check_phone_layout,
    code_from_outbox,
    log_in,
    screenshot,
    wait_for_htmx,
)
from webapp import demo, otp, sign_in
from webapp.identifiers import make_resident_id
from webapp.models import Account, Binding, Customer
from webapp.registry.local import put_card

pytestmark = pytest.mark.browser

_serial = itertools.count(1)


def new_customer(card_status="active"):
    """A fresh customer of the live app, with one card in the registry and one debit account."""
    n = next(_serial) + 100 * (datetime.datetime.now().microsecond % 97)
    username = f"journey.{n}"
    id_number = make_resident_id(
        "110105", datetime.date(1990, 1, 1) + datetime.timedelta(days=n), n % 1000
    )
    customer = Customer.create(
        username=username,
        password_hash=sign_in.hash_password(demo.PASSWORD),
        name="王小明",
        id_number=id_number,
    )
    Account.create(
        customer=customer,
        number=f"62220210{n:011d}",
        balance_fen=100_000,
        reserved_mobile=f"+86139{n:08d}",
    )
    card_number = f"J{n:08d}"
    put_card(card_number, "王小明", id_number, "110000", card_status)
    return {
        "username": username,
        "id_number": id_number,
        "card": card_number,
        "mobile_tail": f"{n:08d}"[-4:],
        "customer": customer,
    }


def fill_card_details(page, person):
    page.get_by_label(re.compile("Full name|姓名")).fill("王小明")
    page.get_by_label(re.compile("Resident ID number|身份证号码")).fill(person["id_number"])
    page.get_by_label(re.compile("Social security card number|社保卡号")).fill(
        person["card"].lower()
    )
    page.get_by_label(re.compile("Insured region|参保地")).select_option("110000")


def walk_to_code_page(page, person, shots, words):
    log_in(page, person["username"])
    page.get_by_role("link", name=words["bind"]).click()
    page.wait_for_url(re.compile(r"/bind$"))
    page.evaluate("window.__stepsSwappedInPlace = true")
    screenshot(page, f"{shots}-1-start")
    page.get_by_role("button", name=words["start"]).click()
    page.wait_for_url(re.compile(r"/card$"))
    fill_card_details(page, person)
    screenshot(page, f"{shots}-2-card")
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator("input[name=account]:not([disabled])").first.check()
    screenshot(page, f"{shots}-3-account")
    page.get_by_role("button", name=words["continue"]).click()
    page.wait_for_url(re.compile(r"/check$"))
    page.locator("input[name=agree]").check()
    page.locator("input[name=consent]").check()
    for change in page.locator(".summary__action a").all():
        box = change.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (change.inner_text(), box)
    screenshot(page, f"{shots}-4-check")
    page.get_by_role("button", name=words["submit"]).click()
    page.wait_for_url(re.compile(r"/verify$"))
    screenshot(page, f"{shots}-5-verify")


EN = {
    "bind": "Bind my card",
    "start": "I have these: start",
    "continue": "Save and continue",
    "submit": "Agree and submit",
    "confirm": "Confirm",
    "bound": "Your card is bound",
}
ZH = {
    "bind": "绑定社保卡",
    "start": "已准备好，开始办理",
    "continue": "保存并继续",
    "submit": "同意并提交",
    "confirm": "确认",
    "bound": "社保卡绑定成功",
}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_the_whole_journey_with_a_wrong_code_then_the_right_one(open_page, javascript):
    person = new_customer()
    page = open_page(javascript=javascript)
    shots = f"journey-{'js' if javascript else 'nojs'}"
    walk_to_code_page(page, person, shots, EN)
    if javascript:
        # htmx swapped each step into the page: the document loaded at /bind is still here.
        assert page.evaluate("window.__stepsSwappedInPlace === true")
        assert page.evaluate("document.activeElement.tagName") in ("H1", "DIV")
    assert page.get_by_text("Step 5 of 5").is_visible()
    assert page.get_by_text(f"139****{person['mobile_tail']}").first.is_visible()
    code_field = page.locator("input[name=code]")
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert code_field.get_attribute("inputmode") == "numeric"

    code_field.fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect_text = page.get_by_text("That code is not right. You have 4 attempts left").first
    expect_text.wait_for()
    screenshot(page, f"{shots}-5b-wrong-code")

    # Typed key by key as the text shows it, in two groups: the field takes the space too.
    code = code_from_outbox(page, person["mobile_tail"])
    page.locator("input[name=code]").fill("")
    page.locator("input[name=code]").press_sequentially(f"{code[:3]} {code[3:]}")
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/done$"))
    assert page.get_by_role("heading", name="Your card is bound").is_visible()
    screenshot(page, f"{shots}-6-done")
    assert Binding.active_for(person["customer"]) is not None
    assert page.problems == [], "\n".join(page.problems)

    page.goto("/dashboard")
    assert page.get_by_text("Bound to account").first.is_visible()


def test_the_resend_countdown_runs_and_then_allows_a_new_code(open_page):
    person = new_customer()
    page = open_page()
    walk_to_code_page(page, person, "countdown", EN)
    resend = page.get_by_role("button", name="Send a new code")
    assert resend.is_disabled()
    countdown = page.locator("[data-countdown]")
    first = int(re.search(r"\d+", countdown.inner_text()).group(0))
    page.wait_for_timeout(1500)
    later = int(re.search(r"\d+", countdown.inner_text()).group(0))
    assert later < first <= 60
    # A screen reader is not read every second of it: the ready message is announced once.
    assert countdown.get_attribute("aria-live") is None
    assert page.locator("[data-countdown-status]").get_attribute("aria-live") == "polite"
    assert page.locator("[data-countdown-status]").inner_text() == ""
    # Its last second is said in the singular; then the button is ready. (The page's clock is
    # moved on instead of waiting a minute.)
    page.clock.install()
    page.reload()
    left = int(re.search(r"\d+", countdown.inner_text()).group(0))
    page.clock.run_for((left - 1) * 1000)
    assert countdown.inner_text() == "You can ask for a new code in 1 second."
    page.clock.run_for(1000)
    assert countdown.inner_text() == "You can ask for a new code now." and resend.is_enabled()
    assert page.locator("[data-countdown-status]").inner_text() == "You can ask for a new code now."


def test_in_chinese_with_javascript_off(open_page):
    person = new_customer()
    page = open_page(locale="zh-CN", javascript=False)
    walk_to_code_page(page, person, "journey-zh-nojs", ZH)
    assert page.get_by_text("第 5 步，共 5 步").is_visible()
    page.locator("input[name=code]").fill(code_from_outbox(page, person["mobile_tail"]))
    page.get_by_role("button", name=ZH["confirm"]).click()
    page.wait_for_url(re.compile(r"/done$"))
    assert page.get_by_role("heading", name=ZH["bound"]).is_visible()
    screenshot(page, "journey-zh-nojs-6-done")


def test_a_mobile_numbers_daily_limit_is_said_before_any_press(open_page, live_server):
    person = new_customer()
    page = open_page(locale="zh-CN")
    walk_to_code_page(page, person, "daily-limit-zh", ZH)
    # Nine more codes go to the same number today, for other requests.
    with live_server.app.app_context():
        mobile = Account.of(person["customer"]).first().reserved_mobile
        for number in range(9):
            otp.issue(
                customer=person["customer"],
                purpose="pay",
                subject=f"payment:daily-limit-{person['username']}-{number}",
                mobile=mobile,
                ip="198.51.100.7",
                card_tail=person["card"],
                account_tail="0000",
                locale="zh_Hans_CN",
                host="localhost",
                terms=otp.terms(card=person["card"], account="0000"),
            )
    page.reload()
    assert page.get_by_text("该手机号 24 小时内可接收的验证码已达上限").is_visible()
    assert page.locator("[data-resend]").count() == 0
    assert page.locator("input[name=code]").is_visible()  # the code sent still works
    check_phone_layout(page, "a, button, input, select, summary")
    screenshot(page, "daily-limit-zh-5-verify")
    assert page.problems == [], "\n".join(page.problems)


def test_a_lost_card_is_refused_with_what_to_do(open_page):
    person = new_customer(card_status="lost")
    page = open_page()
    walk_to_code_page_until_refused(page, person)
    assert page.get_by_text("Your card is reported lost. Report it found").is_visible()
    screenshot(page, "journey-lost-card")


def walk_to_code_page_until_refused(page, person):
    log_in(page, person["username"])
    page.goto("/bind")
    page.get_by_role("button", name=EN["start"]).click()
    page.wait_for_url(re.compile(r"/card$"))
    fill_card_details(page, person)
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator("input[name=account]:not([disabled])").first.check()
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/check$"))
    page.locator("input[name=agree]").check()
    page.locator("input[name=consent]").check()
    page.get_by_role("button", name=EN["submit"]).click()
    page.get_by_text("We cannot bind this card yet").wait_for()


def at_card_step(open_page, javascript=True):
    """A new customer on a phone at step 2 of a new application."""
    person = new_customer()
    page = open_page(javascript=javascript)
    log_in(page, person["username"])
    page.goto("/bind")
    page.get_by_role("button", name=EN["start"]).click()
    page.wait_for_url(re.compile(r"/card$"))
    return person, page


def test_inline_validation_and_change_links(open_page):
    person, page = at_card_step(open_page)
    id_field = page.get_by_label("Resident ID number")
    wait_for_htmx(id_field)
    id_field.fill("11010119900101123")
    page.get_by_label("Social security card number").focus()
    page.locator("#id_number-error").get_by_text("Your ID number must be 18 characters").wait_for()
    screenshot(page, "wizard-inline-validation")
    # Said aloud through the step's live region, the same element as when the page came.
    status = page.locator("#card-check-status[aria-live=polite]")
    assert "Your ID number must be 18 characters" in status.text_content()
    assert page.locator("[aria-live]").filter(has_text="Your ID number").count() == 1
    fill_card_details(page, person)
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.locator("input[name=account]:not([disabled])").first.check()
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/check$"))
    page.get_by_role("link", name="Change Insured region").click()
    page.wait_for_url(re.compile(r"/card\?change=1$"))
    page.get_by_label("Insured region").select_option("110000")
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/check$"))
    assert page.get_by_role("heading", name="Check your answers").is_visible()


def test_without_javascript_an_error_summary_link_leaves_the_label_in_view(open_page):
    _person, page = at_card_step(open_page, javascript=False)
    page.get_by_role("button", name=EN["continue"]).click()
    page.locator("[data-error-summary]").get_by_role(
        "link", name=re.compile("full name", re.I)
    ).click()
    page.wait_for_url(re.compile(r"#full_name$"))
    label_top = page.locator("label[for=full_name]").bounding_box()["y"]
    assert 0 <= label_top < 740, f"the label is out of view ({label_top})"


def test_error_summary_links_bring_the_field_and_its_label_into_view(open_page):
    person, page = at_card_step(open_page)
    page.get_by_label("Insured region").select_option("110000")
    page.get_by_role("button", name=EN["continue"]).click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    page.wait_for_function("document.activeElement.hasAttribute('data-error-summary')")
    summary.get_by_role("link", name=re.compile("full name", re.I)).click()
    assert page.evaluate("document.activeElement.id") == "full_name"
    label_top = page.locator("label[for=full_name]").bounding_box()["y"]
    assert 0 <= label_top < 740, "the label is out of view"

    fill_card_details(page, person)
    page.get_by_role("button", name=EN["continue"]).click()
    page.wait_for_url(re.compile(r"/account$"))
    page.get_by_role("button", name=EN["continue"]).click()
    page.locator("[data-error-summary]").get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "account"
    legend_top = page.locator("fieldset legend").first.bounding_box()["y"]
    assert 0 <= legend_top < 740, "the question is out of view"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_switching_language_on_a_step_comes_back_to_that_step(open_page, javascript):
    person = new_customer()
    page = open_page(javascript=javascript)
    log_in(page, person["username"])
    page.goto("/bind")
    page.get_by_role("button", name=EN["start"]).click()  # htmx swaps the step in, with JS
    page.wait_for_url(re.compile(r"/card$"))
    page.get_by_role("link", name="中文").click()
    page.wait_for_url(re.compile(r"/card$"))
    assert page.get_by_role("heading", name="社保卡信息").is_visible()
    assert not page.problems, page.problems


def test_unbind_from_my_binding(open_page):
    person = new_customer()
    page = open_page()
    walk_to_code_page(page, person, "unbind-setup", EN)
    page.locator("input[name=code]").fill(code_from_outbox(page, person["mobile_tail"]))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/done$"))
    page.goto("/binding")
    page.get_by_role("link", name="Unbind my card").click()
    page.get_by_label("I will use another bank").check()
    page.get_by_role("button", name="Send the code").click()
    page.wait_for_url(re.compile(r"/unbind/verify$"))
    page.locator("input[name=code]").fill(code_from_outbox(page, person["mobile_tail"]))
    page.get_by_role("button", name="Unbind my card").click()
    page.wait_for_url(re.compile(r"/binding$"))
    assert page.get_by_text("is no longer bound").is_visible()
    assert page.locator("header.masthead").count() == 1  # the page was replaced, not nested
    assert "is no longer bound" in page.evaluate("document.activeElement.textContent")
    screenshot(page, "unbind-done")
    assert Binding.active_for(person["customer"]) is None


def test_where_a_step_leads_outside_the_wizard_or_an_expired_form_replace_the_page(open_page):
    person = new_customer()
    page = open_page()
    log_in(page, person["username"])
    page.get_by_role("link", name=EN["bind"]).click()
    page.get_by_role("button", name=EN["start"]).click()
    page.wait_for_url(re.compile(r"/card$"))
    page.get_by_role("link", name="Cancel application").click()
    page.wait_for_url(re.compile(r"/cancel$"))
    page.get_by_role("button", name="Yes, cancel the application").click()
    # The answer is the "my binding" page, which htmx puts in place of the whole page.
    page.wait_for_url(re.compile(r"/binding(\?|$)"))
    page.locator("header.masthead").first.wait_for()
    assert page.locator("header.masthead").count() == 1
    assert page.locator("main").count() == 1
    # The notice is read first: focus is on it, above the page's heading.
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Your application was cancelled."
    screenshot(page, "cancelled-js")

    page.get_by_role("link", name=EN["bind"]).first.click()
    page.wait_for_url(re.compile(r"/bind$"))
    page.context.clear_cookies()
    page.get_by_role("button", name=EN["start"]).click()
    page.get_by_role("heading", name="This page has expired").wait_for()
    assert page.locator("header.masthead").count() == 1
    assert page.evaluate("document.activeElement.tagName") == "H1"
    screenshot(page, "expired-js")
    problems = [p for p in page.problems if "400" not in p]
    assert problems == [], "\n".join(problems)
