"""What htmx is told to do with a whole page it gets: replace the page, never nest it."""

import re

import pytest

from tests import wizard
from tests.conftest import csrf_token, log_in

pytestmark = pytest.mark.database

HTMX_MAIN = {"HX-Request": "true", "HX-Target": "main"}


def _replaces_the_page(response):
    return response.headers.get("HX-Retarget") == "body" and response.headers.get(
        "HX-Reswap", ""
    ).startswith("innerHTML")


def test_a_step_asked_for_by_htmx_comes_as_its_main_region(customer, db_conn):
    reference = wizard.start(customer)
    swapped = customer.get(f"/bind/{reference}/card", headers=HTMX_MAIN)
    assert "<html" not in swapped.get_data(as_text=True)
    assert not _replaces_the_page(swapped)


def test_a_page_with_no_main_region_of_its_own_replaces_the_page(customer, db_conn):
    # Where cancelling an application leads, reached through htmx's request.
    reference = wizard.start(customer)
    token = csrf_token(customer, f"/bind/{reference}/cancel")
    cancelled = customer.post(
        f"/bind/{reference}/cancel",
        data={"csrf_token": token},
        headers=HTMX_MAIN,
        follow_redirects=True,
    )
    page = cancelled.get_data(as_text=True)
    assert cancelled.status_code == 200 and page.startswith("<!doctype html>")
    assert _replaces_the_page(cancelled)
    assert len(re.findall(r'<header class="masthead', page)) == 1


def test_a_session_that_ended_sends_htmx_to_a_whole_login_page(app, client, customer, db_conn):
    reference = wizard.start(customer)
    token = csrf_token(customer, f"/bind/{reference}/card")
    log_in(app.test_client())  # elsewhere: this session ends
    # htmx is told to load the login page as a whole new page: swapped into this one, its
    # form would post to this page's address.
    answer = client.get(f"/bind/{reference}/card", headers=HTMX_MAIN)
    login_page = f"/login?next=/bind/{reference}/card"
    assert answer.status_code == 200 and answer.headers["HX-Redirect"] == login_page
    assert 'name="password"' in client.get(login_page).get_data(as_text=True)
    # The same for a field checked as it is typed (a POST): back to the step afterwards.
    answer = client.post(
        f"/bind/{reference}/card/field/id_number",
        data={"id_number": "1"},
        headers={"HX-Request": "true", "HX-Target": "id_number-field", "X-CSRFToken": token},
    )
    assert answer.headers.get("HX-Redirect") == login_page


def test_an_expired_form_answers_htmx_with_the_expired_page_in_place_of_the_page(customer, db_conn):
    reference = wizard.start(customer)
    answer = customer.post(
        f"/bind/{reference}/card/field/id_number",
        data={"id_number": "1"},
        headers={"HX-Request": "true", "HX-Target": "id_number-field", "X-CSRFToken": "stale"},
    )
    assert answer.status_code == 400
    assert "This page has expired" in answer.get_data(as_text=True)
    assert _replaces_the_page(answer)


def test_whole_pages_outside_htmx_and_history_restores_are_left_as_they_are(customer, db_conn):
    assert not _replaces_the_page(customer.get("/dashboard"))
    restore = customer.get(
        "/dashboard", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert restore.get_data(as_text=True).startswith("<!doctype html>")
    assert not _replaces_the_page(restore)
