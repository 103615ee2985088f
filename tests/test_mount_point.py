"""The app mounted under a prefix (SCRIPT_NAME /ssb, as a reverse proxy may serve it): every
link, form and address it hands the browser stays under that prefix."""

import re

import pytest

from tests import wizard
from tests.conftest import csrf_token, log_in
from tests.test_agent_console import agent_log_in
from webapp import demo

PREFIX = "/ssb"


@pytest.fixture
def mounted(app, client):
    """A client of the app as a proxy serving it at /ssb passes requests on to it."""
    served = app.wsgi_app

    def under_prefix(environ, start_response):
        environ["SCRIPT_NAME"] = PREFIX
        return served(environ, start_response)

    app.wsgi_app = under_prefix
    return client


def _inside(response):
    """The app's own path of an address the browser was given (which carries the prefix)."""
    location = response.headers["Location"]
    assert location.startswith(PREFIX + "/"), location
    return location.removeprefix(PREFIX)


def _addresses(page):
    """Every address of the app's in a page (not data: URLs or telephone numbers)."""
    found = re.findall(r'(?:href|action|hx-post|hx-get|src)="([^"#]+)"', page)
    return [address for address in found if not address.startswith(("data:", "tel:"))]


def test_the_wizard_sends_every_form_and_check_under_the_prefix(mounted):
    log_in(mounted)
    started = mounted.post("/bind", data={"csrf_token": csrf_token(mounted, "/bind")})
    card = _inside(started)
    page = mounted.get(card).get_data(as_text=True)
    addresses = _addresses(page)
    assert f'action="{PREFIX}{card}"' in page
    assert f'hx-post="{PREFIX}{card}/field/id_number"' in page
    assert addresses and all(a.startswith(PREFIX + "/") for a in addresses), addresses

    reference = card.split("/")[2]
    saved = wizard.card_details(mounted, reference)
    account = _inside(saved)
    page = mounted.get(account).get_data(as_text=True)
    assert f'action="{PREFIX}{account}"' in page
    assert all(a.startswith(PREFIX + "/") for a in _addresses(page))


def test_an_htmx_step_names_its_address_under_the_prefix(mounted):
    log_in(mounted)
    card = _inside(mounted.post("/bind", data={"csrf_token": csrf_token(mounted, "/bind")}))
    swapped = mounted.get(card, headers={"HX-Request": "true", "HX-Target": "main"})
    assert swapped.headers["HX-Push-Url"] == PREFIX + card


def test_switching_language_comes_back_under_the_prefix(mounted):
    page = mounted.get("/login?next=/ssb/dashboard").get_data(as_text=True)
    link = re.search(r'href="([^"]*/language\?[^"]*)"', page).group(1).replace("&amp;", "&")
    assert link.startswith(f"{PREFIX}/language?") and "next=%2Fssb%2Flogin" in link
    switched = mounted.get(link.removeprefix(PREFIX))
    assert switched.status_code == 303
    assert _inside(switched) == "/login?next=/ssb/dashboard"
    assert _inside(mounted.get("/language?lang=en")) == "/"


def test_signing_in_returns_to_the_page_asked_for_under_the_prefix(mounted):
    asked = mounted.get("/dashboard")
    assert asked.status_code == 302 and asked.headers["Location"].startswith(f"{PREFIX}/login")
    agent_page = mounted.get("/agent/search")
    assert agent_page.headers["Location"] == f"{PREFIX}/agent/login?next={PREFIX}/agent/search"


def test_after_signing_in_the_customer_and_the_agent_land_under_the_prefix(app, mounted):
    asked = mounted.get("/dashboard").headers["Location"]  # /ssb/login?next=%2Fssb%2Fdashboard
    login = asked.removeprefix(PREFIX)
    token = csrf_token(mounted, login)
    signed_in = mounted.post(
        login, data={"csrf_token": token, "username": "zhang.wei", "password": demo.PASSWORD}
    )
    assert signed_in.headers["Location"] == f"{PREFIX}/dashboard"

    agent = app.test_client()
    response = agent_log_in(agent, next_=f"{PREFIX}/dashboard")
    assert response.headers["Location"] == f"{PREFIX}/agent/search"  # only console pages
    agent = app.test_client()
    response = agent_log_in(agent, "supervisor.wu", next_=f"{PREFIX}/agent/access-log")
    assert response.headers["Location"] == f"{PREFIX}/agent/access-log"


@pytest.mark.parametrize("path", ["/", "/login"])
def test_a_page_kept_at_one_mount_point_is_not_served_at_another(app, client, path):
    direct = client.get(path).get_data(as_text=True)
    assert 'href="/login"' in direct or 'action="/login"' in direct or "/static/" in direct
    served = app.wsgi_app

    def under_prefix(environ, start_response):
        environ["SCRIPT_NAME"] = PREFIX
        return served(environ, start_response)

    app.wsgi_app = under_prefix
    page = client.get(path).get_data(as_text=True)
    assert all(address.startswith(PREFIX + "/") for address in _addresses(page)), page


@pytest.mark.parametrize(
    "target", ["//evil.example", "/\\evil.example", "\\\\evil.example", "https://evil.example"]
)
def test_returning_after_a_language_switch_never_leaves_the_site(mounted, target):
    switched = mounted.get("/language", query_string={"lang": "en", "next": target})
    assert switched.headers["Location"] == f"{PREFIX}/"
