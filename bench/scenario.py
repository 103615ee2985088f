"""The pages under test, and the logins and state each needs, set up through the real app.

Every page is reached the way a person reaches it: a customer or agent logs in through the
login form, the wizard step exists because zhang.wei started an application, and POSTs carry
the CSRF token from the page (htmx sends it as X-CSRFToken).
"""

import re
from dataclasses import dataclass, field

from bench import budgets
from bench.client import UnexpectedResponse
from webapp import agents, demo
from webapp.identifiers import make_resident_id

HTMX = {"HX-Request": "true"}
CUSTOMER_LOGIN = ("/login", "/dashboard")
AGENT_LOGIN = ("/agent/login", "/agent/search")
# persona -> (username, password, (login path, where a good login lands))
PERSONAS = {
    "bound customer": ("liu.yang", demo.PASSWORD, CUSTOMER_LOGIN),
    "new customer": ("zhang.wei", demo.PASSWORD, CUSTOMER_LOGIN),
    "agent": ("agent.li", agents.DEMO_PASSWORD, AGENT_LOGIN),
}
REFERENCE = re.compile(r"/bind/(SSB-[A-Z0-9]{8})/card")


def persona_id_number(username):
    """The demo persona's resident ID number, as the demo seed made it."""
    for name, _display, parts, _accounts in demo.PERSONAS:
        if name == username:
            return make_resident_id(*parts)
    raise KeyError(username)


@dataclass
class Page:
    """One request under test: who sends it, what it is, and the text a right answer holds."""

    name: str
    method: str
    path: str
    persona: str | None
    kind: str  # "page": a first load, weighed with its CSS and JS; "fragment": an htmx swap
    marker: bytes
    headers: dict = field(default_factory=dict)
    data: dict | None = None
    loaded: bool = True  # also put under load with wrk (some are only weighed and counted)

    @property
    def ratio_budget(self):
        """The share of the bare app's throughput this page must reach."""
        return budgets.LOGGED_IN_RATIO if self.persona else budgets.PUBLIC_RATIO


def set_up(make_client):
    """Log the personas in and start zhang.wei's application; returns (pages, clients)."""
    clients = {None: make_client()}
    for persona, (username, password, (path, lands)) in PERSONAS.items():
        clients[persona] = make_client()
        clients[persona].log_in(path, username, password, lands)

    new = clients["new customer"]
    started = new.post("/bind", {"csrf_token": new.csrf_token("/bind")})
    match = REFERENCE.search(started.header("location"))
    if started.status != 303 or not match:
        raise UnexpectedResponse(f"starting an application gave {started.status}")
    card_step = f"/bind/{match.group(1)}/card"
    new_token = new.csrf_token(card_step)
    agent = clients["agent"]
    agent_token = agent.csrf_token("/agent/search")
    bound_id = persona_id_number("liu.yang")
    search = {"csrf_token": agent_token, "query": bound_id, "reason": "customer_call", "note": ""}
    year = clients["bound customer"].get("/services/contributions")
    years = re.findall(rb'<option value="(\d{4})"', year.body)
    older_year = (years[-1] if years else b"2024").decode()

    pages = [
        Page("guide", "GET", "/", None, "page", b'href="/login"'),
        Page("login", "GET", "/login", None, "page", b'name="password"'),
        Page("dashboard", "GET", "/dashboard", "bound customer", "page", b"****5678"),
        Page("wizard step", "GET", card_step, "new customer", "page", b'name="id_number"'),
        Page(
            "wizard step (htmx)",
            "GET",
            card_step,
            "new customer",
            "fragment",
            b'name="id_number"',
            headers={**HTMX, "HX-Target": "main"},
        ),
        Page(
            "ID check (htmx)",
            "POST",
            f"{card_step}/field/id_number",
            "new customer",
            "fragment",
            b'id="id_number-field"',
            headers={**HTMX, "HX-Target": "id_number-field", "X-CSRFToken": new_token},
            data={"id_number": persona_id_number("zhang.wei")},
        ),
        Page(
            "agent search page",
            "GET",
            "/agent/search",
            "agent",
            "page",
            b'name="query"',
            loaded=False,
        ),
        Page(
            "agent search (htmx)",
            "POST",
            "/agent/search",
            "agent",
            "fragment",
            bound_id[:6].encode(),
            headers={**HTMX, "HX-Target": "agent-search"},
            data=search,
        ),
        Page(
            "contributions",
            "GET",
            "/services/contributions",
            "bound customer",
            "page",
            b'id="contribution-year"',
        ),
        Page(
            "contributions year (htmx)",
            "GET",
            f"/services/contributions?year={older_year}",
            "bound customer",
            "fragment",
            b"year-status",
            headers={**HTMX, "HX-Target": "contribution-year"},
            loaded=False,
        ),
    ]
    return pages, clients


def fetch(page, clients):
    """Send a page's request from its persona's client; raises unless the answer is right."""
    client = clients[page.persona]
    answer = client.request(page.method, page.path, data=page.data, headers=page.headers)
    check(page, answer)
    return answer


def check(page, answer):
    """Raise UnexpectedResponse unless the answer is a 200 holding the page's marker."""
    if answer.status != 200 or page.marker not in answer.body:
        raise UnexpectedResponse(
            f"{page.name}: {page.method} {page.path} gave {answer.status} without {page.marker!r}"
        )
    if page.kind == "fragment" and b"<html" in answer.body:
        raise UnexpectedResponse(f"{page.name}: asked for a fragment, got a whole page")
