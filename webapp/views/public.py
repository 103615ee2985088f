"""The public guide, language choice, and the health check."""

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request
from flask_babel import get_locale
from markupsafe import Markup
from peewee import PeeweeException

from webapp.extensions import db
from webapp.i18n import COOKIE, LANGUAGES
from webapp.views.navigation import safe_next

bp = Blueprint("public", __name__)


# The guide's content per language, rendered once: it is the busiest page and has nothing
# personal in it (the page around it still carries each visitor's CSRF token and header).
_guide_bodies = {}


@bp.get("/")
def guide():
    """The guide to binding a social security card: what, what to prepare, steps, law, FAQ."""
    language = str(get_locale())
    body = _guide_bodies.get(language)
    if body is None:
        body = Markup(render_template("public/_guide_body.html"))  # noqa: S704 (autoescaped)
        if not current_app.debug:
            _guide_bodies[language] = body
    return render_template("public/guide.html", body=body)


@bp.post("/language")
def language():
    """Remember the chosen language for a year and go back where the customer was."""
    chosen = request.form.get("lang")
    if chosen not in LANGUAGES:
        abort(400)
    response = redirect(safe_next(request.form.get("next")), code=303)
    response.set_cookie(
        COOKIE,
        chosen,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.get("/healthz")
def healthz():
    """Liveness and database reachability, for load balancers."""
    try:
        with db.database.connection_context():
            db.database.execute_sql("SELECT 1")
    except PeeweeException:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
