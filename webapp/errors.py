"""Styled, translated error pages."""

import peewee
from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from webapp.extensions import login
from webapp.views import roles


def register(app):
    """Install the error handlers on the app."""

    @app.errorhandler(400)
    def bad_request(error):
        return _page(
            400,
            _("Something in that request was not right"),
            _("Go back, reload the page and try again."),
        )

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _page(
            400,
            _("This page has expired"),
            _("For your security, forms expire. Go back, reload the page and try again."),
        )

    @app.errorhandler(403)
    def forbidden(error):
        return _page(403, _("You cannot open this page"), _("This page is not available to you."))

    @app.errorhandler(404)
    def not_found(error):
        return _page(
            404, _("Page not found"), _("Check the address, or start again from the start page.")
        )

    @app.errorhandler(405)
    def method_not_allowed(error):
        return _page(
            405, _("Page not found"), _("Check the address, or start again from the start page.")
        )

    @app.errorhandler(429)
    def too_many(error):
        return _page(
            429,
            _("Too many attempts"),
            _("You have tried too many times in a short while. Wait a minute and try again."),
        )

    @app.errorhandler(500)
    def server_error(error):
        return _page(
            500,
            _("Sorry, something went wrong on our side"),
            _("Nothing was changed. Try again in a few minutes, or call the hotline."),
        )


def _page(status, title, message):
    home, home_label = _way_home()
    return (
        render_template(
            "errors/error.html", title=title, message=message, home=home, home_label=home_label
        ),
        status,
    )


def _way_home():
    """Where an error page's button leads: an agent's console, a customer's accounts, or the
    start page for anyone not signed in."""
    try:
        user = current_user._get_current_object()
    except peewee.PeeweeException:
        # The database may be why this page is shown: the page is made for no one signed in,
        # without asking the database again.
        login.treat_as_anonymous()
        user = None
    if roles.is_agent(user):
        return url_for("agent.search"), _("Back to search")
    if roles.is_customer(user):
        return url_for("banking.dashboard"), _("Back to my accounts")
    return url_for("public.guide"), _("Go to the start page")
