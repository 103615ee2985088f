"""The kept page layout (webapp.layout) makes exactly the pages base.html makes."""

import pytest
from flask import render_template_string
from flask_login import login_user
from markupsafe import escape

from tests.conftest import csrf_token, log_in
from tests.test_agent_console import agent_log_in
from webapp.models import Customer


def _kept_and_fresh(app, render):
    """What render() gives with the app's kept renderings, then rendered anew (debug mode)."""
    kept = render()
    app.debug = True
    try:
        fresh = render()
    finally:
        app.debug = False
    return kept, fresh


def _page_both_ways(app, client, path):
    """The page as the kept layout makes it, then as base.html renders it.

    A page first gives a session its CSRF token; the token is signed again (with the second
    it is signed in) on the next page and then reused: so the page is asked for once before.
    """
    client.get(path)
    kept, rendered = _kept_and_fresh(app, lambda: client.get(path))
    assert kept.status_code == rendered.status_code
    return kept.get_data(as_text=True), rendered.get_data(as_text=True)


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("path", ["/", "/login", "/no-such-page", "/agent/login"])
def test_public_pages_are_the_ones_base_html_renders(app, client, language, path):
    client.set_cookie("lang", language)
    kept, rendered = _page_both_ways(app, client, path)
    assert kept == rendered
    assert "\x00" not in kept


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("path", ["/dashboard", "/bind", "/my-binding", "/no-such-page"])
def test_signed_in_pages_are_the_ones_base_html_renders(app, client, language, path):
    log_in(client)
    client.set_cookie("lang", language)
    kept, rendered = _page_both_ways(app, client, path)
    assert kept == rendered
    assert kept.count('name="csrf_token"') >= 1 and 'name="csrf-token"' in kept


def test_an_agent_console_page_is_the_one_base_html_renders(app, client):
    agent_log_in(client)
    kept, rendered = _page_both_ways(app, client, "/agent/search")
    assert kept == rendered
    assert "<title>Find a customer · " in kept


def test_a_page_without_a_title_of_its_own_keeps_the_layouts(app):
    page = '{% extends "base.html" %}{% block main %}<p>Body</p>{% endblock %}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        kept, rendered = _kept_and_fresh(app, lambda: render_template_string(page))
    assert kept == rendered
    assert "<title>Social security card binding · " in kept and "<p>Body</p>" in kept


def test_fragments_are_left_as_they_are(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert render_template_string("<p>{{ _('Log out') }} {}</p>") == "<p>Log out {}</p>"


def test_the_language_link_comes_back_to_the_page_shown(client):
    client.set_cookie("lang", "en")
    first = client.get("/login?next=/dashboard").get_data(as_text=True)
    second = client.get("/").get_data(as_text=True)
    assert 'href="/language?lang=zh&amp;next=%2Flogin%3Fnext%3D%2Fdashboard"' in first
    assert 'href="/language?lang=zh&amp;next=%2F"' in second


def test_each_visitor_gets_their_own_token_in_the_layout(app):
    first, second = app.test_client(), app.test_client()
    log_in(first)
    log_in(second, username="liu.yang")
    tokens = [
        page.get("/dashboard").get_data(as_text=True).split('name="csrf-token" content="')[1]
        for page in (first, second)
    ]
    assert tokens[0].split('"')[0] != tokens[1].split('"')[0]


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_words_translated_as_templates_compile_are_the_run_time_ones(app, language):
    page = '{{ _("Hello, %(name)s", name=who) }}|{{ _("Log out") }}|{{ _("100%% sure") }}'
    with app.test_request_context("/", headers={"Accept-Language": language}):
        compiled = app.jinja_env.in_page_language().from_string(page)
        at_run_time = app.jinja_env.from_string(page)
        assert "Log out" not in compiled.root_render_func.__code__.co_consts  # a call no more
        assert compiled.render(who="<b>Li</b>") == at_run_time.render(who="<b>Li</b>")
        shown = compiled.render(who="<b>Li</b>")
    assert "&lt;b&gt;Li&lt;/b&gt;" in shown and "<b>" not in shown
    assert ("Log out" in shown) == (language == "en")
    assert "100% sure" in shown and "%%" not in shown


def _card_step_answers(client, full_name):
    """Step 2's form sent with this name, as a page and as an htmx swap: the two answers."""
    log_in(client)
    token = csrf_token(client, "/bind")
    reference = client.post("/bind", data={"csrf_token": token}).headers["Location"].split("/")[2]
    return [
        client.post(
            f"/bind/{reference}/card",
            data={"csrf_token": token, "full_name": full_name, "id_number": "1"},
            headers=headers,
        )
        for headers in ({}, {"HX-Request": "true", "HX-Target": "main"})
    ]


@pytest.mark.parametrize("typed", ["{title}", "{main}", "{{ x }}", "%(value)s"])
def test_what_a_visitor_types_never_breaks_the_page(app, client, typed):
    whole, swapped = _card_step_answers(client, typed)
    for response, is_whole in ((whole, True), (swapped, False)):
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'value="{escape(typed)}"' in page
        assert ("<html" in page) == is_whole


def test_a_form_holding_a_nul_character_is_refused_as_unreadable(client):
    for response in _card_step_answers(client, "\x00main\x00"):
        assert response.status_code == 400
        assert "Something in that request was not right" in response.get_data(as_text=True)


@pytest.mark.parametrize("shown", ["\x00main\x00", "\x00title\x00", "\x00token\x00"])
def test_text_holding_the_layouts_markers_is_shown_as_it_is(app, shown):
    # Requests holding NUL are refused at the door; the kept layout does not rely on it.
    page = (
        '{% extends "base.html" %}{% block title %}{{ shown }}{% endblock %}'
        "{% block main %}<p>{{ shown }}</p>{% endblock %}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        kept_page, fresh = _kept_and_fresh(app, lambda: render_template_string(page, shown=shown))
    assert kept_page == fresh
    assert f"<p>{shown}</p>" in kept_page and kept_page.count("<main") == 1


def test_the_kept_layout_holds_nothing_of_the_first_visitor(app):
    # Kept after zhang.wei's page, the layout must be what base.html renders for liu.yang: a
    # layout showing anything of its visitor would differ (it is kept without a user).
    page = '{% extends "base.html" %}{% block main %}<p>Body</p>{% endblock %}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(Customer.get(Customer.username == "zhang.wei"))
        render_template_string(page)  # the layout is kept now
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        login_user(Customer.get(Customer.username == "liu.yang"))
        kept_page, fresh = _kept_and_fresh(app, lambda: render_template_string(page))
    assert kept_page == fresh


def test_templates_read_the_environments_globals_as_they_are_when_rendered(app):
    environment = app.jinja_env
    with app.test_request_context("/"):
        template = environment.get_template("macros.html")
        assert template.globals is environment.globals
        environment.globals["added_later"] = "seen"
        try:
            rendered = render_template_string(
                '{% from "macros.html" import flashes %}{{ added_later }}'
            )
        finally:
            del environment.globals["added_later"]
        assert rendered == "seen"
        # Globals of a template's own would go into every template's: they are refused.
        with pytest.raises(TypeError):
            environment.get_template("macros.html", globals={"x": 1})


def test_the_hotlines_in_the_footer_call_when_tapped(app, client):
    app.config["BANK_HOTLINE"] = "400-000-0000"
    page = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    footer = page[page.index('<footer class="footer">') :]
    assert 'Service hotline <a class="nowrap" href="tel:4000000000">400-000-0000</a></p>' in footer
    assert '<a href="tel:12333">12333</a>' in footer
