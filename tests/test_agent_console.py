"""The agent console's doors: agent sign-in, sessions, and who may open which page.

Also home to the helpers the other agent tests share (signing agents in, counting queries).
"""

import contextlib
import re

import peewee
import pytest

from tests.conftest import csrf_token, log_in, post_form
from webapp import agents
from webapp.extensions import db
from webapp.models import Agent, AuditEvent

pytestmark = pytest.mark.database

UNIFORM = "The username or password is wrong"
AGENT_PAGES = [
    "/agent",
    "/agent/search",
    "/agent/customers/1",
    "/agent/applications/SSB-AAAAAAAA",
    "/agent/customers/1/locks/1/unlock",
    "/agent/applications/SSB-AAAAAAAA/cancel",
    "/agent/customers/1/unbind",
    "/agent/access-log",
]
AGENT_ACTIONS = [
    "/agent/search",
    "/agent/customers/1/locks/1/unlock",
    "/agent/applications/SSB-AAAAAAAA/cancel",
    "/agent/customers/1/unbind",
    "/agent/logout",
]
# What a customer's pages and an agent's need of each other's: nothing.
CONSOLE_OR_PUBLIC = ("agent.", "public.")


def agent_log_in(client, username="agent.li", password=agents.DEMO_PASSWORD, next_=None):
    """Sign in through the agent login form."""
    path = "/agent/login" + (f"?next={next_}" if next_ else "")
    return post_form(client, path, {"username": username, "password": password})


@pytest.fixture
def agent(client):
    """A client signed in as the demo agent (agent.li)."""
    assert agent_log_in(client).status_code == 303
    return client


def open_record(client, customer_id, reason="customer_call", note=""):
    """A customer's record opened as an agent opens it without a search: saying why first."""
    path = f"/agent/customers/{customer_id}"
    answer = post_form(client, path, {"reason": reason, "note": note})
    assert answer.status_code == 303, answer.status_code
    return client.get(path)


@pytest.fixture
def supervisor(app):
    """A second client, signed in as the demo supervisor (supervisor.wu)."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert agent_log_in(other, "supervisor.wu").status_code == 303
    return other


@pytest.fixture
def shopper(app):
    """A second client, logged in as a customer (zhang.wei), next to an agent's."""
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert log_in(other).status_code == 303
    return other


class QueryCounter:
    """Counts the SQL statements that read or write rows (not BEGIN/COMMIT)."""

    def __init__(self):
        self.statements = []

    def __len__(self):
        return len(self.statements)


@contextlib.contextmanager
def counting_queries(monkeypatch):
    """Count the statements the app's database runs inside the block."""
    counter = QueryCounter()
    database = db.database.obj
    original = database.execute_sql

    def counted(sql, *args, **kwargs):
        if sql.lstrip().split(" ", 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            counter.statements.append(sql)
        return original(sql, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counted)
    try:
        yield counter
    finally:
        monkeypatch.setattr(database, "execute_sql", original)


def text_of(response):
    """A page's text with tags removed and spaces collapsed, for reading like a person."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _dummy_url(app, rule):
    """A URL for a route, every variable filled with 1 (a valid int, and a string too)."""
    adapter = app.url_map.bind("localhost")
    return adapter.build(rule.endpoint, dict.fromkeys(rule.arguments, 1))


def test_an_agent_signs_in_on_the_agent_login_and_lands_on_the_search(client):
    page = client.get("/agent/login").get_data(as_text=True)
    assert "Sign in to the agent console" in page
    response = agent_log_in(client)
    assert response.status_code == 303 and response.headers["Location"] == "/agent/search"
    page = client.get("/agent/search").get_data(as_text=True)
    assert "Find a customer" in page and "Signed in as 李晓明" in page
    assert "Access log" not in page


def test_the_agent_login_answers_wrong_and_unknown_alike_and_customers_cannot_use_it(client):
    wrong = agent_log_in(client, password="not-the-password").get_data(as_text=True)
    unknown = agent_log_in(client, username="nobody.here").get_data(as_text=True)
    customer = agent_log_in(client, username="zhang.wei", password="Demo-2026")
    assert UNIFORM in wrong and UNIFORM in unknown
    assert customer.status_code == 200 and UNIFORM in customer.get_data(as_text=True)
    assert client.get("/agent/search").status_code == 302


def test_five_failures_lock_an_agent_out_for_fifteen_minutes(client, frozen, db_conn):
    for _ in range(5):
        assert UNIFORM in agent_log_in(client, password="wrong-password").get_data(as_text=True)
    assert Agent.get(Agent.username == "agent.li").locked_until is not None
    assert agent_log_in(client).status_code == 200
    frozen.advance(minutes=15, seconds=1)
    assert agent_log_in(client).status_code == 303
    actions = [e.action for e in AuditEvent.select().where(AuditEvent.actor_kind == "agent")]
    assert "login.locked" in actions and "login.refused_locked" in actions
    assert actions.count("login.failed") == 4


def test_agent_sign_in_attempts_are_throttled_per_address(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    token = csrf_token(client, "/agent/login")
    answers = [
        client.post(
            "/agent/login", data={"csrf_token": token, "username": "x", "password": "y"}
        ).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_agent_sign_in_needs_a_csrf_token(client):
    data = {"username": "agent.li", "password": agents.DEMO_PASSWORD}
    assert client.post("/agent/login", data=data).status_code == 400
    assert client.get("/agent/search").status_code == 302


def test_after_sign_in_an_agent_returns_only_to_console_pages(client):
    response = agent_log_in(client, next_="/agent/access-log")
    assert response.headers["Location"] == "/agent/access-log"
    post_form(client, "/agent/logout", {}, source="/agent/search")
    for elsewhere in ("/dashboard", "https://evil.example/agent/", "//evil.example"):
        response = agent_log_in(client, next_=elsewhere)
        assert response.headers["Location"] == "/agent/search", elsewhere
        post_form(client, "/agent/logout", {}, source="/agent/search")


def test_an_agent_session_starts_fresh(client):
    client.get("/agent/login")
    before = client.get_cookie("ssb_session").value
    agent_log_in(client)
    assert client.get_cookie("ssb_session").value != before


def test_an_idle_agent_is_signed_out_after_thirty_minutes(agent, frozen):
    frozen.advance(minutes=29)
    assert agent.get("/agent/search").status_code == 200
    frozen.advance(minutes=30, seconds=1)
    response = agent.get("/agent/search")
    assert response.status_code == 302 and "/agent/login" in response.headers["Location"]
    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "signed out after 30 minutes" in page


@pytest.mark.parametrize("path", AGENT_PAGES)
def test_anyone_not_signed_in_is_sent_to_the_agent_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/agent/login?next=")


@pytest.mark.parametrize("path", AGENT_ACTIONS)
def test_not_signed_in_actions_change_nothing(client, db_conn, path):
    before = AuditEvent.select().count()
    response = post_form(client, path, {"reason": "customer_call"}, source="/agent/login")
    assert response.status_code == 302 and "/agent/login" in response.headers["Location"]
    assert AuditEvent.select().count() == before


@pytest.mark.parametrize("path", [*AGENT_PAGES, "/agent/login"])
def test_a_customer_session_never_reaches_an_agent_page(customer, path):
    assert customer.get(path).status_code == 403


@pytest.mark.parametrize("path", AGENT_ACTIONS)
def test_a_customer_session_cannot_act_in_the_console(customer, db_conn, path):
    before = AuditEvent.select().count()
    response = post_form(customer, path, {"reason": "customer_call"}, source="/dashboard")
    assert response.status_code == 403
    assert AuditEvent.select().count() == before


def test_an_agent_session_never_reaches_a_customer_page(app, agent):
    """Every route outside the console and the public pages, present and future, refuses agents."""
    refused = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith(CONSOLE_OR_PUBLIC):
            continue
        if rule.endpoint == "auth.logout" or "GET" not in rule.methods:
            continue
        response = agent.get(_dummy_url(app, rule))
        if response.status_code != 403:
            refused.append(f"{rule.rule} answered {response.status_code}")
    assert not refused, refused
    for path in ("/dashboard", "/binding", "/bind", "/login"):
        assert agent.get(path).status_code == 403, path


def test_a_refused_page_leads_each_back_to_their_own_side(app, agent):
    refused = agent.get("/dashboard").get_data(as_text=True)
    assert '<a class="button" href="/agent/search">Back to search</a>' in refused
    customer = app.test_client()
    customer.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(customer)
    refused = customer.get("/agent/search").get_data(as_text=True)
    assert '<a class="button" href="/dashboard">Back to my accounts</a>' in refused


def test_when_the_database_fails_the_error_page_still_shows_and_leads_home(app, agent, monkeypatch):
    def unreachable(*args, **kwargs):
        raise peewee.OperationalError("the database is down")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr(type(db.database.obj), "execute_sql", unreachable)
    answer = agent.get("/agent/search")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and "something went wrong on our side" in page
    assert '<a class="button" href="/">Go to the start page</a>' in page


def test_an_agent_session_cannot_post_to_customer_pages(app, agent, db_conn):
    token = csrf_token(agent, "/agent/search")
    before = AuditEvent.select().count()
    for path in ("/bind", "/login"):
        response = agent.post(path, data={"csrf_token": token})
        assert response.status_code == 403, path
    assert AuditEvent.select().count() == before


def test_only_supervisors_read_the_access_log(agent, supervisor):
    assert agent.get("/agent/access-log").status_code == 403
    page = supervisor.get("/agent/access-log")
    assert page.status_code == 200 and "Who looked up whom" in page.get_data(as_text=True)
    assert "Access log" in supervisor.get("/agent/search").get_data(as_text=True)


def test_the_mastheads_log_out_ends_an_agent_session_as_an_agent(agent, db_conn):
    response = post_form(agent, "/logout", {}, source="/agent/search")
    assert response.status_code == 303 and response.headers["Location"].startswith("/agent/login")
    assert agent.get("/agent/search").status_code == 302
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).get()
    assert (event.action, event.actor_kind, event.customer_id) == ("logout", "agent", None)


def test_agent_log_out_needs_a_csrf_token(agent):
    assert agent.post("/agent/logout").status_code == 400
    assert agent.get("/agent/search").status_code == 200


def test_an_agent_and_a_customer_in_two_browsers_keep_to_their_own_pages(agent, shopper):
    assert shopper.get("/dashboard").status_code == 200
    assert agent.get("/agent/search").status_code == 200
    assert shopper.get("/agent/search").status_code == 403
    assert agent.get("/dashboard").status_code == 403


def test_agent_pages_are_not_cached(agent):
    assert agent.get("/agent/search").headers["Cache-Control"] == "no-store"


def test_the_console_speaks_chinese_when_asked(agent):
    page = agent.get("/agent/search", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in page


def test_agents_are_given_thirty_idle_minutes_by_default(app):
    assert app.config["AGENT_IDLE_MINUTES"] == 30
