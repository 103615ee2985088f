"""The kept page layout (webapp.layout) makes exactly the pages base.html makes."""

import pytest
from flask import render_template_string

from tests.conftest import log_in
from tests.test_agent_console import agent_log_in


def _page_both_ways(app, client, path):
    """The page as the kept layout makes it, then as base.html renders it (development)."""
    kept = client.get(path)
    app.debug = True
    try:
        rendered = client.get(path)
    finally:
        app.debug = False
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
        kept = render_template_string(page)
        app.debug = True
        try:
            rendered = render_template_string(page)
        finally:
            app.debug = False
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
    page = '{{ _("Hello, %(name)s", name=who) }}|{{ _("Log out") }}|{{ _(who) if false }}'
    with app.test_request_context("/", headers={"Accept-Language": language}):
        compiled = render_template_string(page, who="<b>Li</b>")
        app.debug = True
        try:
            at_run_time = render_template_string(page, who="<b>Li</b>")
        finally:
            app.debug = False
    assert compiled == at_run_time
    assert "&lt;b&gt;Li&lt;/b&gt;" in compiled and "<b>" not in compiled
    assert ("Log out" in compiled) == (language == "en")
