"""Driving the binding wizard through its forms, as a customer would."""

import re

from tests.conftest import post_form
from webapp import demo
from webapp.identifiers import make_resident_id


def persona(username):
    """(name, ID number, card number, region) of a demo persona, as on their cards."""
    for name_, (region, born, sequence) in (
        (p[1], p[2]) for p in demo.PERSONAS if p[0] == username
    ):
        card_number, insured_region, _status = demo.CARDS[username]
        return name_, make_resident_id(region, born, sequence), card_number, insured_region
    raise KeyError(username)


def start(client):
    """Step 1: start (or resume) and return the application reference."""
    response = post_form(client, "/bind", {})
    assert response.status_code == 303, response.status_code
    return re.search(r"/bind/(SSB-[A-Z0-9]{8})/", response.headers["Location"]).group(1)


def card_details(client, reference, username="zhang.wei", **overrides):
    """Step 2 with a persona's details, some overridden."""
    name, id_number, card_number, region = persona(username)
    data = {"full_name": name, "id_number": id_number, "card_number": card_number, "region": region}
    data.update(overrides)
    return post_form(client, f"/bind/{reference}/card", data)


def eligible_account_ids(client, reference):
    """The account ids offered (and enabled) on step 3."""
    page = client.get(f"/bind/{reference}/account").get_data(as_text=True)
    return re.findall(r'name="account" value="(\d+)">', page)


def choose_account(client, reference, account_id=None):
    """Step 3 with the first eligible account (or a given id)."""
    account_id = account_id or eligible_account_ids(client, reference)[0]
    return post_form(client, f"/bind/{reference}/account", {"account": account_id})


def submit(client, reference, agree="y", consent="y", source=None):
    """Step 4: agree, consent, submit."""
    data = {k: v for k, v in {"agree": agree, "consent": consent}.items() if v}
    return post_form(client, f"/bind/{reference}/check", data, source=source)


def through_check(client, username="zhang.wei", **overrides):
    """Steps 1–3; returns the reference, ready for Check your answers."""
    reference = start(client)
    assert card_details(client, reference, username, **overrides).status_code == 303
    assert choose_account(client, reference).status_code == 303
    return reference
