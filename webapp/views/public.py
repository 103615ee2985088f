"""The public guide, language choice, and the health check."""

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from markupsafe import Markup
from peewee import PeeweeException

from webapp import database
from webapp.extensions import db
from webapp.i18n import COOKIE, LANGUAGES, current_language
from webapp.templating import keeps_rendered, kept
from webapp.views.navigation import here, safe_next

bp = Blueprint("public", __name__)


@bp.get("/")
def guide():
    """The guide to binding a social security card: what, what to prepare, steps, law, FAQ."""
    # The guide per language, rendered once: it is the busiest page and has nothing personal
    # in it. A visitor who is not signed in gets the whole page as it was first rendered (it
    # holds no token and no session: see language()); a signed-in customer gets the content
    # inside a page with their own header and Log out form.
    key = (current_language(), request.script_root)  # what the kept guide depends on
    keep = keeps_rendered()
    bodies, pages = (kept("guide bodies"), kept("guide pages")) if keep else ({}, {})
    whole_page = keep and not current_user.is_authenticated and not request.query_string
    if whole_page and key in pages:
        return pages[key]
    body = bodies.get(key)
    if body is None:
        body = bodies[key] = Markup(render_template("public/_guide_body.html"))  # noqa: S704
    page = render_template("public/guide.html", body=body)
    if whole_page:
        pages[key] = page
    return page


def language_url(code):
    """The link that switches to a language and comes back to this page."""
    back = here(with_query=request.method == "GET")
    return url_for("public.language") + "?" + urlencode({"lang": code, "next": back})


@bp.get("/language")
def language():
    """Remember the chosen language for a year and go back where the visitor was.

    A link, not a form: the choice is this browser's display preference, kept in its own
    cookie. It changes nothing the service stores, so it needs no session and no CSRF token,
    and pages for visitors who are not signed in are served without starting a session.
    """
    chosen = request.args.get("lang")
    if chosen not in LANGUAGES:
        abort(400)
    response = redirect(safe_next(request.args.get("next")), code=303)
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
    """Liveness, database reachability and its schema, for load balancers: a server whose
    database misses a migration is not ready to serve."""
    try:
        with db.database.connection_context():
            db.database.execute_sql("SELECT 1")
            seen = current_app.extensions.get("schema_migrated")
            if not seen and database.pending_migrations(db.database):
                return jsonify(status="unavailable", database="not migrated"), 503
    except PeeweeException:
        return jsonify(status="unavailable", database="unreachable"), 503
    # Once seen whole, the schema is not asked about again: migrations are never taken back.
    current_app.extensions["schema_migrated"] = True
    return jsonify(status="ok", database="ok")
