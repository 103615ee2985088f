"""Security headers, session cookie flags, CSRF, and templates the CSP can serve."""

import re
from pathlib import Path

import pytest

from tests.conftest import csrf_token, log_in
from tests.test_config import production_settings
from webapp import create_app, database, demo
from webapp.extensions import db
from webapp.models import AuditEvent

pytestmark = pytest.mark.database

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _csp_directives(response):
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return policy, directives


def _pages(client):
    """The guide and login page as a visitor, then the dashboard after logging in."""
    responses = {path: client.get(path) for path in ("/", "/login")}
    assert log_in(client).status_code == 303
    responses["/dashboard"] = client.get("/dashboard")
    for path, response in responses.items():
        assert response.status_code == 200, path
    return responses


def _production_app(tmp_path):
    app = create_app(
        {
            **production_settings(),
            "DATABASE": database.connect(f"sqlite:///{tmp_path / 'production.db'}"),
            "LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    with app.app_context():
        database.migrate(db.database)
        demo.seed()
        db.database.close()
    return app


@pytest.fixture
def production_client(tmp_path):
    """A client of an app configured for production, talking HTTPS as it would behind TLS."""
    client = _production_app(tmp_path).test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.environ_base["wsgi.url_scheme"] = "https"
    yield client
    if not db.database.is_closed():
        db.database.close()


def test_every_page_sends_a_strict_content_security_policy(client):
    for path, response in _pages(client).items():
        policy, directives = _csp_directives(response)
        assert directives["default-src"] == ["'self'"], path
        assert directives["frame-ancestors"] == ["'none'"], path
        assert "'unsafe-inline'" not in policy, path
        assert "'unsafe-eval'" not in policy, path
        for name in ("script-src", "style-src"):
            assert directives.get(name, directives["default-src"]) == ["'self'"], (path, name)


def test_every_page_forbids_sniffing_and_referrers(client):
    for path, response in _pages(client).items():
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "no-referrer", path


def test_error_pages_send_the_same_headers(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert _csp_directives(response)[1]["default-src"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_dashboard_with_personal_data_is_never_cached(client):
    response = _pages(client)["/dashboard"]
    assert "no-store" in response.headers["Cache-Control"]


def test_development_sends_no_hsts(client):
    for path, response in _pages(client).items():
        assert "Strict-Transport-Security" not in response.headers, path


def test_production_sends_hsts_and_the_same_policy(production_client):
    for path, response in _pages(production_client).items():
        hsts = response.headers.get("Strict-Transport-Security", "")
        max_age = re.search(r"max-age=(\d+)", hsts)
        assert max_age and int(max_age.group(1)) >= 180 * 24 * 3600, path
        assert _csp_directives(response)[1]["frame-ancestors"] == ["'none'"], path


def _session_cookie(response):
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("ssb_session=")]
    assert cookies, "the response set no session cookie"
    return [flag.strip().lower() for flag in cookies[-1].split(";")]


def test_session_cookie_is_httponly_and_lax_but_not_secure_in_development(client):
    flags = _session_cookie(log_in(client))
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags


def test_session_cookie_is_secure_in_production(production_client):
    response = log_in(production_client)
    assert response.status_code == 303
    flags = _session_cookie(response)
    assert {"httponly", "samesite=lax", "secure"} <= set(flags)
    assert production_client.get("/dashboard").status_code == 200


def test_login_without_csrf_token_is_refused_and_logs_nobody_in(client, db_conn):
    response = client.post("/login", data={"username": "zhang.wei", "password": demo.PASSWORD})
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    assert not AuditEvent.select().where(AuditEvent.action == "login.succeeded").exists()


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(customer):
    response = customer.post("/logout")
    assert response.status_code == 400
    assert customer.get("/dashboard").status_code == 200


def test_reading_public_pages_starts_no_session(client):
    guide = client.get("/")
    assert guide.status_code == 200 and "Set-Cookie" not in guide.headers
    assert 'name="csrf-token"' not in guide.get_data(as_text=True)
    assert client.get_cookie("ssb_session") is None


def test_a_sessions_signed_token_is_reused_and_a_new_login_gets_another(client):
    log_in(client)
    first, again = csrf_token(client, "/dashboard"), csrf_token(client, "/binding")
    assert first == again
    client.post("/logout", data={"csrf_token": first})
    log_in(client)
    fresh = csrf_token(client, "/dashboard")
    assert fresh != first
    assert client.post("/logout", data={"csrf_token": first}).status_code == 400
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 303


def test_csrf_token_from_another_session_is_refused(app, client):
    stranger = app.test_client()
    token = csrf_token(stranger, "/login")
    response = client.post(
        "/login", data={"csrf_token": token, "username": "zhang.wei", "password": demo.PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/dashboard").status_code == 302


def test_htmx_post_with_csrf_header_is_accepted(client):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": "zhang.wei", "password": demo.PASSWORD},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 303
    assert client.get("/dashboard").status_code == 200


def test_htmx_logout_with_csrf_header_ends_the_session(customer):
    token = csrf_token(customer, "/dashboard")
    response = customer.post("/logout", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 303
    assert customer.get("/dashboard").status_code == 302


def test_state_changes_are_not_reachable_with_get(customer):
    assert customer.get("/logout").status_code == 405
    assert customer.get("/dashboard").status_code == 200


# The CSP forbids inline scripts and styles, so no template may rely on them.

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
NONEMPTY_SCRIPT = re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE)
HX_ON = re.compile(r"\shx-on[:-]", re.IGNORECASE)


def _templates():
    found = sorted(TEMPLATES.rglob("*.html"))
    assert found, "no templates found"
    return found


@pytest.mark.parametrize(
    "pattern, what",
    [
        (INLINE_SCRIPT, "a <script> without src"),
        (NONEMPTY_SCRIPT, "a <script> with a body"),
        (STYLE_ATTRIBUTE, "a style= attribute"),
        (STYLE_ELEMENT, "a <style> element"),
        (EVENT_HANDLER, "an inline event handler (onclick= ...)"),
        (HX_ON, "an hx-on attribute (it needs eval, which the CSP refuses)"),
    ],
)
def test_no_template_relies_on_inline_script_or_style(pattern, what):
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for path in _templates()
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"{what} in: " + ", ".join(offenders)


def test_htmx_is_configured_not_to_inject_inline_styles(client):
    page = client.get("/").get_data(as_text=True)
    assert '"includeIndicatorStyles":false' in page
    assert '"allowEval":false' in page


def test_a_nul_character_in_an_address_or_a_form_is_refused_as_unreadable(app, customer):
    # PostgreSQL refuses text holding NUL; no address or form here has a use for one.
    for path in (
        "/bind/SSB-%00AAAAAAA/card",
        "/services/payments/1%002",
        "/services/contributions?year=%00",
    ):
        answer = customer.get(path)
        assert answer.status_code == 400, path
        assert "Something in that request was not right" in answer.get_data(as_text=True)
    visitor = app.test_client()
    token = csrf_token(visitor, "/login")
    answer = visitor.post(
        "/login", data={"csrf_token": token, "username": "zhang\x00wei", "password": "x"}
    )
    assert answer.status_code == 400
    # The same customer's ordinary pages still answer.
    assert customer.get("/dashboard").status_code == 200
