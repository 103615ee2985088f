"""The binding wizard, steps 1–4, through its pages as a customer uses them."""

import re

import pytest

from tests import wizard
from tests.conftest import log_in, post_form
from webapp import agreement
from webapp.models import Account, Application, AuditEvent, Binding, Customer

pytestmark = pytest.mark.database


def test_happy_path_reaches_awaiting_verification(customer, db_conn):
    reference = wizard.start(customer)
    assert "Step 2 of 5" in customer.get(f"/bind/{reference}/card").get_data(as_text=True)
    assert wizard.card_details(customer, reference).headers["Location"].endswith("/account")
    assert wizard.choose_account(customer, reference).headers["Location"].endswith("/check")
    page = customer.get(f"/bind/{reference}/check").get_data(as_text=True)
    assert "Step 4 of 5" in page and "Binding agreement" in page
    assert "110101********0311" in page and "****2876" in page and "138****8000" in page
    assert 'name="agree" type="checkbox" value="y">' in page  # unticked by default
    assert 'name="consent" type="checkbox" value="y">' in page
    response = wizard.submit(customer, reference)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/bind/{reference}/verify")

    application = Application.get(Application.reference == reference)
    assert application.status == "awaiting_verification"
    assert application.agreement_version == agreement.VERSION
    assert application.agreement_sha256 == agreement.digest("en")
    assert application.consented_at is not None and application.consent_ip == "127.0.0.1"
    assert application.card_number == "M31452876"
    assert "awaiting verification" in customer.get("/dashboard").get_data(as_text=True).lower()


def test_consent_must_be_ticked_separately(customer, db_conn):
    reference = wizard.through_check(customer)
    page = wizard.submit(customer, reference, consent=None).get_data(as_text=True)
    assert "Tick to agree to the processing of your sensitive personal information" in page
    assert "There is a problem" in page
    page = wizard.submit(customer, reference, agree=None).get_data(as_text=True)
    assert "Tick to confirm you agree to the binding agreement" in page
    assert Application.get(Application.reference == reference).status == "draft"


def test_bad_card_details_show_messages_and_keep_the_answers(customer, db_conn):
    reference = wizard.start(customer)
    response = wizard.card_details(customer, reference, id_number="123", card_number="M31452876")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "There is a problem" in page and 'href="#id_number"' in page
    assert "Your ID number must be 18 characters" in page
    assert 'value="M31452876"' in page and 'value="张伟"' in page
    assert Application.get(Application.reference == reference).card_number is None


def test_what_was_typed_comes_back_escaped_in_its_field(customer, db_conn):
    reference = wizard.start(customer)
    typed = '"><script>alert(1)</script>'
    response = wizard.card_details(customer, reference, full_name=typed, card_number=typed)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<script>" not in page
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    for name in ("full_name", "id_number", "card_number", "region"):
        assert page.count(f'id="{name}-field"') == 1
        assert f'hx-post="/bind/{reference}/card/field/{name}"' in page


def test_chinese_words_in_an_english_hint_are_marked_as_chinese(customer, db_conn):
    reference = wizard.start(customer)
    page = customer.get(f"/bind/{reference}/card").get_data(as_text=True)
    assert 'for example <span lang="zh-Hans">王小明</span>.' in page
    assert 'is paid (<span lang="zh-Hans">参保地</span>).' in page


def test_inline_check_returns_just_the_field(customer, db_conn):
    reference = wizard.start(customer)
    token_page = customer.get(f"/bind/{reference}/card").get_data(as_text=True)
    token = token_page.split('name="csrf-token" content="')[1].split('"')[0]
    response = customer.post(
        f"/bind/{reference}/card/field/id_number",
        data={"id_number": "110101198805120312"},
        headers={"HX-Request": "true", "HX-Target": "id_number-field", "X-CSRFToken": token},
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in fragment and 'id="id_number-field"' in fragment
    assert "not valid" in fragment
    assert len(fragment.encode()) < 5 * 1024
    # What the check found is said in the step's own live region, which stays on the page.
    field, said = fragment.split('<p id="card-check-status" hx-swap-oob="innerHTML">')
    assert "aria-live" not in field and "not valid" in said
    page = customer.get(f"/bind/{reference}/card").get_data(as_text=True)
    assert '<p id="card-check-status" class="visually-hidden" aria-live="polite"></p>' in page


def test_steps_cannot_be_skipped(customer, db_conn):
    reference = wizard.start(customer)
    response = customer.get(f"/bind/{reference}/check")
    assert response.status_code == 303 and response.headers["Location"].endswith("/card")
    response = customer.get(f"/bind/{reference}/account")
    assert response.status_code == 303 and response.headers["Location"].endswith("/card")
    assert customer.get(f"/bind/{reference}/verify").status_code == 303


def test_only_eligible_accounts_can_be_chosen(client, db_conn):
    log_in(client, "chen.jing")
    reference = wizard.start(client)
    assert wizard.card_details(client, reference, "chen.jing").status_code == 303
    page = client.get(f"/bind/{reference}/account").get_data(as_text=True)
    assert "Frozen: this account cannot be used" in page
    assert "Only CNY accounts can be bound" in page
    assert "Credit cards cannot be bound" in page
    offered = wizard.eligible_account_ids(client, reference)
    assert len(offered) == 1
    frozen = (
        Account.select()
        .join(Customer)
        .where(Customer.username == "chen.jing", Account.status == "frozen")
        .get()
    )
    page = wizard.choose_account(client, reference, frozen.id).get_data(as_text=True)
    assert "Choose the account to bind" in page
    assert Application.get(Application.reference == reference).account is None


def test_change_link_returns_to_check_your_answers(customer, db_conn):
    reference = wizard.through_check(customer)
    page = customer.get(f"/bind/{reference}/check").get_data(as_text=True)
    assert f"/bind/{reference}/card?change=1" in page
    response = post_form(
        customer,
        f"/bind/{reference}/card?change=1",
        {
            "full_name": "张伟",
            "id_number": wizard.persona("zhang.wei")[1],
            "card_number": "M31452876",
            "region": "110000",
        },
    )
    assert response.headers["Location"].endswith(f"/bind/{reference}/check")


@pytest.mark.parametrize("step", ["card", "account"])
def test_back_from_a_change_link_returns_to_check_your_answers(customer, db_conn, step):
    reference = wizard.through_check(customer)
    check = f'href="/bind/{reference}/check"'
    changing = customer.get(f"/bind/{reference}/{step}?change=1").get_data(as_text=True)
    assert f'<a class="link" {check}>‹ Back' in changing
    # On the way through the steps, Back goes to the step before.
    walking = customer.get(f"/bind/{reference}/{step}").get_data(as_text=True)
    assert check not in walking
    previous = "/bind" if step == "card" else f"/bind/{reference}/card"
    assert f'<a class="link" href="{previous}">‹ Back' in walking


def test_application_resumes_after_logout(client, db_conn):
    log_in(client)
    reference = wizard.start(client)
    wizard.card_details(client, reference)
    post_form(client, "/logout", {}, source="/dashboard")
    log_in(client)
    assert "step 3 of 5" in client.get("/dashboard").get_data(as_text=True)
    response = wizard.start(client)
    assert response == reference
    assert 'value="M31452876"' in client.get(f"/bind/{reference}/card").get_data(as_text=True)


def test_double_start_never_creates_a_second_application(customer, db_conn):
    first = wizard.start(customer)
    second = wizard.start(customer)
    assert first == second
    assert Application.select().join(Customer).where(Customer.username == "zhang.wei").count() == 1


def test_replayed_step_after_submit_changes_nothing(customer, db_conn):
    reference = wizard.through_check(customer)
    wizard.submit(customer, reference)
    # Back button, then the old card form submitted again.
    name, id_number, _card, region = wizard.persona("zhang.wei")
    response = post_form(
        customer,
        f"/bind/{reference}/card",
        {"full_name": name, "id_number": id_number, "card_number": "G44830219", "region": region},
        source="/dashboard",
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/verify")
    application = Application.get(Application.reference == reference)
    assert application.card_number == "M31452876" and application.status == "awaiting_verification"
    resubmitted = wizard.submit(customer, reference, source="/dashboard")
    assert resubmitted.headers["Location"].endswith("/verify")
    assert Application.select().count() == 2  # this one and the demo persona's


def test_cancel_closes_the_application(customer, db_conn):
    reference = wizard.through_check(customer)
    page = customer.get(f"/bind/{reference}/cancel").get_data(as_text=True)
    assert "Cancel this application?" in page
    # Changing one's mind leads back to the step the application is at, not the start.
    assert f'href="/bind/{reference}/check">No, go back</a>' in page
    response = post_form(customer, f"/bind/{reference}/cancel", {})
    assert response.status_code == 303
    assert Application.get(Application.reference == reference).status == "cancelled"
    assert "Not bound" in customer.get("/dashboard").get_data(as_text=True)
    assert "application.cancelled" in [e.action for e in AuditEvent.select()]


@pytest.mark.parametrize("step", ["card", "account", "check", "verify", "cancel"])
def test_another_customers_application_answers_404(app, step, db_conn):
    owner = app.test_client()
    log_in(owner, "chen.jing")
    reference = wizard.start(owner)
    intruder = app.test_client()
    log_in(intruder)
    assert intruder.get(f"/bind/{reference}/{step}").status_code == 404
    response = post_form(
        intruder, f"/bind/{reference}/{step}", {"card_number": "X"}, source="/dashboard"
    )
    assert response.status_code in (404, 405)
    assert Application.get(Application.reference == reference).status == "draft"


def test_wizard_needs_login(client):
    response = client.get("/bind")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_expire_applications_closes_drafts_untouched_for_a_day(app, customer, frozen, db_conn):
    reference = wizard.start(customer)
    frozen.advance(hours=23, minutes=59)
    runner = app.test_cli_runner()
    assert "Expired 0" in runner.invoke(args=["expire-applications"]).output
    frozen.advance(minutes=2)
    assert "Expired 1 application." in runner.invoke(args=["expire-applications"]).output
    assert Application.get(Application.reference == reference).status == "expired"
    assert Binding.select().count() == 1  # the demo persona's binding is untouched


@pytest.mark.parametrize("step", ["card", "account"])
def test_a_step_swapped_in_by_htmx_titles_the_tab_with_the_bank_as_a_whole_page_does(
    customer, db_conn, step
):
    reference = wizard.start(customer)
    if step == "account":
        wizard.card_details(customer, reference)
    path = f"/bind/{reference}/{step}"
    page = customer.get(path).get_data(as_text=True)
    titles = re.findall(r"<title>(.*?)</title>", page)
    # One title, in the head: a fragment inside the page adds none to its main region.
    assert len(titles) == 1 and page.index("<title>") < page.index("</head>")
    assert titles[0].endswith(" · Example Bank")

    swapped = customer.get(path, headers={"HX-Request": "true", "HX-Target": "main"})
    fragment = swapped.get_data(as_text=True)
    assert "<html" not in fragment
    assert re.findall(r"<title>(.*?)</title>", fragment) == titles
    chinese = customer.get(
        path, headers={"HX-Request": "true", "HX-Target": "main", "Accept-Language": "zh-CN"}
    )
    (title,) = re.findall(r"<title>(.*?)</title>", chinese.get_data(as_text=True))
    assert title.endswith(" · 示例银行") and title != titles[0]


def test_answers_too_long_are_refused_with_which_answer_and_its_limit(customer, db_conn):
    reference = wizard.start(customer)
    response = wizard.card_details(
        customer, reference, full_name="王" * 61, id_number="1" * 41, card_number="M" * 41
    )
    page = response.get_data(as_text=True)
    assert "The full name can be at most 60 characters long." in page
    assert "The resident ID number can be at most 40 characters long." in page
    assert "The card number can be at most 40 characters long." in page
    assert Application.get(Application.reference == reference).full_name is None
