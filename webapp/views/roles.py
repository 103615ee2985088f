"""Who may open which page: agents stay in the agent console, customers never enter it."""

import functools

from flask import abort, request
from flask_login import current_user

# An agent session reaches these blueprints only; everything else is a customer's.
AGENT_AREAS = ("agent.", "public.")


def is_agent(user):
    """True for a signed-in customer-service agent (or supervisor)."""
    return getattr(user, "actor_kind", None) == "agent"


def is_customer(user):
    """True for a signed-in online-banking customer."""
    return getattr(user, "actor_kind", None) == "customer"


def refuse_agents_outside_the_console(*, end_agent_session):
    """Before every request: 403 for an agent session anywhere but the console and public pages.

    The masthead's Log out posts to the customer logout; for an agent it ends the agent's
    session instead, so no customer logout is ever recorded for an agent.
    """
    endpoint = request.endpoint or ""
    if not endpoint or endpoint == "static" or endpoint.startswith(AGENT_AREAS):
        return None
    if not is_agent(current_user):
        return None
    if endpoint == "auth.logout":
        return end_agent_session()
    abort(403)


def supervisors_only(view):
    """Refuse (403) agents who are not supervisors."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_supervisor:
            abort(403)
        return view(*args, **kwargs)

    return guarded
