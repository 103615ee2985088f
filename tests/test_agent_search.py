"""Agent search: one box, recognised by shape, exact match through blind indexes, always logged."""

import logging
import re

import pytest

from tests import test_agent_console as console
from tests import wizard
from tests.conftest import csrf_token, log_in
from tests.test_agent_console import counting_queries, text_of
from webapp import agent_search, identifiers
from webapp.identifiers import make_resident_id
from webapp.models import AccessLog, Account, Application, Customer

pytestmark = pytest.mark.database

agent = console.agent

PATTERN = r"[A-Z0-9]{9}"
ZHANG_MOBILE = "13800138000"
ZHANG_CARD = "M31452876"
UNKNOWN_ID = make_resident_id("110101", __import__("datetime").date(1970, 1, 1), 999)


def search(client, query, reason="customer_call", note="", htmx=False):
    """POST the search form as a browser (or htmx) would."""
    headers = {"HX-Request": "true", "HX-Target": "agent-search"} if htmx else {}
    data = {"csrf_token": csrf_token(client, "/agent/search"), "query": query, "reason": reason}
    if note:
        data["note"] = note
    return client.post("/agent/search", data=data, headers=headers)


def zhang_id():
    return Customer.get(Customer.username == "zhang.wei").id_number


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("ssb-7k3m9qxd", "reference", "SSB-7K3M9QXD"),
        (" 13800138000 ", "mobile", "+8613800138000"),
        ("+86 138 0013 8000", "mobile", "+8613800138000"),
        ("138-0013-8000", "mobile", "+8613800138000"),
        ("8613800138000", "mobile", "+8613800138000"),
        ("m31452876", "card_number", "M31452876"),
        ("Ｍ３１４５２８７６", "card_number", "M31452876"),
    ],
)
def test_what_was_typed_is_recognised_by_its_shape(typed, kind, value):
    found = agent_search.recognise(typed, PATTERN)
    assert (found.kind, found.value) == (kind, value)


def test_an_id_number_is_recognised_with_a_lower_case_x():
    number = make_resident_id("110101", __import__("datetime").date(1990, 3, 7), 123)
    typed = number.lower() if number.endswith("X") else number
    assert agent_search.recognise(typed, PATTERN) == agent_search.Identifier("id_number", number)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter an application reference"),
        ("SSB-12", "An application reference is SSB-"),
        ("SSB-7K3M9QXD9", "An application reference is SSB-"),
        ("10000000000", "not a valid mainland China mobile number"),
        ("+1 202 555 0100", "not a valid mainland China mobile number"),
        ("110101198805120310", "not a valid 18-character resident ID number"),
        ("110101880512031", "not a valid 18-character resident ID number"),
        ("M3145287", "We did not recognise this"),
        ("张伟", "We did not recognise this"),
    ],
)
def test_malformed_input_is_refused_with_a_message(typed, message):
    with pytest.raises(identifiers.Invalid) as refused:
        agent_search.recognise(typed, PATTERN)
    assert message in str(refused.value.message)


def test_a_reference_finds_its_customer(agent, app, shopper, db_conn):
    reference = wizard.start(shopper)
    page = text_of(search(agent, reference))
    assert f"1 customer found by application reference {reference}" in page
    assert "张* · 110101********0311" in page
    assert f"{reference}: In progress" in page


def test_an_id_number_finds_the_customer_by_their_bank_record(agent, db_conn):
    page = text_of(search(agent, zhang_id()))
    assert "1 customer found by ID number 110101********0311" in page
    assert "Found by: the bank's ID record" in page
    assert zhang_id() not in page


def test_an_id_number_also_finds_who_typed_it_into_an_application(agent, shopper, db_conn):
    _name, other_id, _card, _region = wizard.persona("wang.fang")
    reference = wizard.start(shopper)
    wizard.card_details(shopper, reference, "zhang.wei", id_number=other_id)
    page = text_of(search(agent, other_id))
    assert "2 customers found by ID number" in page
    assert "王* · 310104********0424" in page and "张* · 110101********0311" in page
    assert "Found by: an application" in page


def test_a_mobile_number_finds_the_customer_by_an_accounts_reserved_mobile(agent):
    page = text_of(search(agent, "+86 138 0013 8000"))
    assert "1 customer found by mobile number 138****8000" in page
    assert "Found by: an account's reserved mobile" in page
    assert ZHANG_MOBILE not in page


def test_a_shared_mobile_number_finds_every_customer_with_it(agent, db_conn):
    wang = Customer.get(Customer.username == "wang.fang")
    account = Account.of(wang).first()
    account.reserved_mobile = "+8613800138000"
    account.save()
    assert "2 customers found by mobile number 138****8000" in text_of(search(agent, ZHANG_MOBILE))


def test_a_card_number_finds_the_registry_holder_and_whoever_applied_or_bound(agent, db_conn):
    page = text_of(search(agent, "Z76120394"))
    assert "1 customer found by card number ****0394" in page
    assert "刘* · 330106" in page
    assert "Found by: an application, a binding, the registry's card holder" in page
    assert "Bound to account ****5678" in page


def test_in_chinese_labels_and_lists_take_chinese_punctuation(agent, db_conn):
    agent.set_cookie("lang", "zh")
    page = text_of(search(agent, "Z76120394"))
    assert re.search(r"匹配来源：[^:：,]+、[^:：,]+、", page), page


def test_unknown_but_well_formed_identifiers_find_nobody(agent, db_conn):
    for query in ("SSB-7K3M9QXD", UNKNOWN_ID, "13911112222", "ZZZZZZZZ9"):
        page = text_of(search(agent, query))
        assert "0 customers found" in page and "Nobody matches exactly" in page, query
    assert [row.result_count for row in AccessLog.select()] == [0, 0, 0, 0]


def test_malformed_input_is_explained_and_nothing_is_looked_up(agent, db_conn):
    response = search(agent, "110101198805120310")
    page = text_of(response)
    assert response.status_code == 200
    assert "There is a problem" in page and "not a valid 18-character resident ID number" in page
    assert "customers found" not in page
    assert AccessLog.select().count() == 0


@pytest.mark.parametrize("query", [ZHANG_MOBILE, ZHANG_CARD, "id", "SSB-7K3M9QXD"])
def test_every_search_needs_a_reason(agent, db_conn, query):
    query = zhang_id() if query == "id" else query
    page = text_of(search(agent, query, reason=""))
    assert "Choose why you are looking this up" in page
    assert "found by" not in page
    assert AccessLog.select().count() == 0


def test_other_needs_a_few_words(agent, db_conn):
    page = text_of(search(agent, ZHANG_MOBILE, reason="other"))
    assert "Say why in a few words when the reason is Other" in page
    assert AccessLog.select().count() == 0
    page = text_of(search(agent, ZHANG_MOBILE, reason="other", note="police request 2026-17"))
    assert "1 customer found" in page
    assert AccessLog.get().note == "police request 2026-17"


def test_an_unknown_reason_is_refused(agent, db_conn):
    page = text_of(search(agent, ZHANG_MOBILE, reason="curiosity"))
    assert "Choose a reason from the list" in page
    assert AccessLog.select().count() == 0


def test_every_search_is_logged_masked_with_its_reason_and_count(agent, db_conn):
    search(agent, zhang_id(), reason="complaint")
    search(agent, ZHANG_MOBILE, reason="fraud_check")
    search(agent, ZHANG_CARD, reason="customer_call")
    search(agent, "SSB-7K3M9QXD", reason="other", note="callback as promised")
    rows = [
        (r.action, r.kind, r.masked_query, r.reason, r.result_count, r.agent.username)
        for r in AccessLog.select().order_by(AccessLog.id)
    ]
    assert rows == [
        ("search", "id_number", "110101********0311", "complaint", 1, "agent.li"),
        ("search", "mobile", "138****8000", "fraud_check", 1, "agent.li"),
        ("search", "card_number", "****2876", "customer_call", 1, "agent.li"),
        ("search", "reference", "SSB-7K3M9QXD", "other", 0, "agent.li"),
    ]


def test_results_swap_in_place_for_htmx_and_the_same_form_works_without(agent):
    fragment = search(agent, ZHANG_MOBILE, htmx=True).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="agent-search"')
    assert "<html" not in fragment and "1 customer found" in fragment
    assert 'hx-post="/agent/search"' in fragment and 'hx-target="#agent-search"' in fragment
    page = search(agent, ZHANG_MOBILE).get_data(as_text=True)
    assert "<html" in page and "1 customer found" in page
    assert 'method="post" action="/agent/search"' in page


def test_a_search_never_puts_the_identifier_in_a_url_a_page_or_a_log(agent, app, db_conn, caplog):
    caplog.set_level(logging.INFO)
    for name in ("webapp", "werkzeug"):
        logging.getLogger(name).addHandler(caplog.handler)
    try:
        pages = [
            search(agent, zhang_id()).get_data(as_text=True),
            search(agent, "+86 138 0013 8000").get_data(as_text=True),
            search(agent, ZHANG_CARD).get_data(as_text=True),
        ]
        customer_id = Customer.get(Customer.username == "zhang.wei").id
        pages.append(agent.get(f"/agent/customers/{customer_id}").get_data(as_text=True))
    finally:
        for name in ("webapp", "werkzeug"):
            logging.getLogger(name).removeHandler(caplog.handler)
    secrets = [zhang_id(), ZHANG_MOBILE, "+8613800138000", ZHANG_CARD, "6222021001000012345"]
    urls = [u for page in pages for u in re.findall(r'(?:href|action|hx-post)="([^"]*)"', page)]
    rows = [" ".join(str(v) for v in row) for row in AccessLog.select().tuples()]
    lines = [record.getMessage() for record in caplog.records]
    for secret in secrets:
        assert not any(secret in url for url in urls), secret
        assert not any(secret in page for page in pages), secret
        assert not any(secret in row for row in rows), secret
        assert not any(secret in line for line in lines), secret


def test_a_note_with_an_identifier_in_it_is_masked_in_the_log(agent, db_conn):
    search(agent, ZHANG_MOBILE, reason="other", note=f"caller gave {zhang_id()}")
    assert zhang_id() not in AccessLog.get().note
    assert AccessLog.get().note.endswith("0311")


def test_a_search_stays_within_the_query_budget(agent, db_conn, monkeypatch):
    token = csrf_token(agent, "/agent/search")
    for query in (zhang_id(), ZHANG_CARD, ZHANG_MOBILE, "SSB-7K3M9QXD"):
        with counting_queries(monkeypatch) as queries:
            agent.post(
                "/agent/search", data={"csrf_token": token, "query": query, "reason": "complaint"}
            )
        assert len(queries) <= 8, (query, queries.statements)


def test_a_search_shows_the_open_application_and_the_binding(agent, shopper, db_conn):
    reference = wizard.through_check(shopper)
    wizard.submit(shopper, reference)
    page = text_of(search(agent, ZHANG_CARD))
    assert f"{reference}: Awaiting verification" in page
    assert Application.select().count() >= 2


@pytest.fixture
def shopper(app):
    """A customer (zhang.wei) in a browser of their own."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert log_in(other).status_code == 303
    return other


def test_a_note_too_long_is_refused_saying_so_and_nothing_is_logged(agent, db_conn):
    page = text_of(search(agent, ZHANG_MOBILE, reason="other", note="x" * 201))
    assert "The details can be at most 200 characters long." in page
    assert AccessLog.select().count() == 0
