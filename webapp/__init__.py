"""The social security card binding service: create_app() builds the Flask application."""

import datetime
import hashlib
import os

from flask import Flask, abort, current_app, request, session
from flask.globals import _cv_request
from flask_login import current_user, login_user, logout_user
from markupsafe import Markup
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from webapp import clock, config, database, i18n, logs, pii, sign_in
from webapp.extensions import babel, csrf, db, htmx, limiter, login
from webapp.layout import LayoutEnvironment, PageTemplate
from webapp.sessions import CookieSessions, csrf_token, reuse_csrf_token

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
ALL_HTTPS = (*SECURITY_HEADERS, HSTS)
# Where a request's id waits, in the WSGI environ, to be sent as X-Request-Id.
REQUEST_ID = "webapp.request_id"
VARY = ("HX-Request", "HX-Target", "Cookie")
# A signed-in request records the time it was seen at most this often: the idle timeout is
# counted from the last record, so a session may end up to this much early, never late.
SEEN_EVERY_SECONDS = 15


# The largest id a table holds (PostgreSQL's serial is a 32-bit integer).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<id:name>`: a row's id in a URL. Digits from 1 to the largest id a table can hold; any
    other number matches no route (404) instead of reaching the database, which refuses it."""

    def __init__(self, map):
        super().__init__(map, min=1, max=MAX_ROW_ID)


class App(Flask):
    """Flask, remembering the URLs it builds for endpoints without values and for static files.

    A URL rule never changes while the app runs, yet building a URL walks the rule again; a
    page links to the same few fixed places (the guide, log out, its CSS and scripts).

    Its templates keep the page layout rendered (webapp.layout).
    """

    jinja_environment = LayoutEnvironment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._fixed_urls = {}
        self._sync = {}

    def ensure_sync(self, func):
        """Flask's, remembered per function: it asks `inspect` anew for every hook of every
        request whether the function is a coroutine."""
        synced = self._sync.get(func)
        if synced is None:
            synced = self._sync[func] = super().ensure_sync(func)
        return synced

    def url_for(
        self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values
    ):
        request_context = _cv_request.get(None)
        fixed = (
            request_context is not None
            and not (_anchor or _method or _scheme or _external)
            and endpoint[0] != "."
            and (not values or (endpoint == "static" and values.keys() == {"filename"}))
            and self.config["APP_ENV"] != "development"  # static files change as one works
        )
        if not fixed:
            return super().url_for(
                endpoint,
                _anchor=_anchor,
                _method=_method,
                _scheme=_scheme,
                _external=_external,
                **values,
            )
        key = (request_context.request.script_root, endpoint, values.get("filename"))
        url = self._fixed_urls.get(key)
        if url is None:
            url = self._fixed_urls[key] = super().url_for(endpoint, **values)
        return url


def create_app(test_config=None):
    """Build the app: environment settings, then the test overrides, then extensions."""
    app = App(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.update(config.from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    config.refuse_unsafe(app.config)
    if app.config["KEEP_RENDERED"] is None:
        app.config["KEEP_RENDERED"] = app.config["APP_ENV"] == "production"
    app.config["SESSION_COOKIE_SECURE"] = app.config["APP_ENV"] == "production"
    app.session_interface = CookieSessions()
    app.url_map.converters["id"] = RowIdConverter
    app.jinja_env.template_class = PageTemplate

    pii.configure(app.config["PII_KEY"])
    logs.configure(app)
    if isinstance(app.config["DATABASE"], str):
        app.config["DATABASE"] = database.connect(app.config["DATABASE"], pool=True)
    db.init_app(app)
    csrf.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    htmx.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, default_timezone="Asia/Shanghai")
    _install_request_gettext(app)
    limiter.init_app(app)
    login.init_app(app)

    from webapp import cli, errors
    from webapp.views import (
        agent,
        auth,
        banking,
        bind,
        codes,
        dev,
        manage,
        navigation,
        public,
        services,
        verify,
        webhooks,
    )

    app.register_blueprint(public.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(banking.bp)
    app.register_blueprint(bind.bp)
    app.register_blueprint(verify.bp)
    app.register_blueprint(manage.bp)
    app.register_blueprint(services.bp)
    app.register_blueprint(agent.bp)
    app.register_blueprint(webhooks.bp)
    if app.config["SMS_BACKEND"] == "console" and app.config["APP_ENV"] != "production":
        app.register_blueprint(dev.bp)
    errors.register(app)
    cli.register(app)

    app.before_request_funcs.setdefault(None, []).insert(0, _start_log)
    app.before_request(_begin_request)
    app.after_request(_cache_headers)
    app.after_request(navigation.whole_page_replaces_the_page)
    fixed_headers = SECURITY_HEADERS if app.config["APP_ENV"] == "development" else ALL_HTTPS
    app.wsgi_app = FixedHeaders(app.wsgi_app, fixed_headers)
    if app.config["TRUSTED_PROXIES"]:
        # Behind a load balancer the client is the address it puts in X-Forwarded-For: the
        # per-address limits (login attempts, SMS an hour) then count each customer, not it.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    app.url_defaults(_version_static_urls)
    app.jinja_env.filters["money"] = i18n.format_money
    app.jinja_env.filters["when"] = i18n.format_when
    app.jinja_env.globals["present"] = _present
    app.jinja_env.globals["seconds_span"] = lambda n: Markup('<span data-seconds="">%d</span>') % n
    app.jinja_env.globals["nowrap"] = lambda text: Markup('<span class="nowrap">%s</span>') % text
    app.jinja_env.globals["account_kind_label"] = i18n.account_kind_label
    app.jinja_env.globals["account_status_label"] = i18n.account_status_label
    app.jinja_env.globals["ineligibility_label"] = i18n.ineligibility_label
    app.jinja_env.globals["application_status_label"] = i18n.application_status_label
    app.jinja_env.globals["region_label"] = i18n.region_label
    app.jinja_env.filters["clock"] = i18n.format_clock
    app.jinja_env.filters["mask_id"] = pii.mask_id_number
    app.jinja_env.filters["mask_tail"] = pii.mask_tail
    app.jinja_env.globals["current_language"] = i18n.current_language
    app.jinja_env.globals["colon"] = i18n.colon
    app.jinja_env.globals["list_separator"] = i18n.list_separator
    app.jinja_env.globals["language_url"] = public.language_url
    app.jinja_env.globals["here"] = navigation.here
    app.jinja_env.globals["bank_name"] = navigation.bank_name
    app.jinja_env.globals["swap_title"] = navigation.swap_title
    app.jinja_env.globals["code_validity"] = codes.validity_line
    app.jinja_env.globals["codes_left_line"] = codes.codes_left_line
    app.jinja_env.globals["locked_message"] = codes.locked_message
    app.jinja_env.globals["refusal_message"] = codes.refusal_message
    app.jinja_env.globals["may_ask"] = codes.may_ask
    return app


def _present(extra=None, **attributes):
    """HTML attributes for a form field, leaving out those that are None."""
    attributes.update(extra or {})
    return {name: value for name, value in attributes.items() if value is not None}


def _install_request_gettext(app):
    """Templates translate through the request's cached translations.

    `_`, `gettext` and `ngettext` are plain functions with Jinja's "newstyle" meaning (the
    translation is marked safe and always %-formatted, its values escaped): Jinja's own route
    to them passes through three context-inspecting calls for every string on the page.
    """
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: i18n.page_translations().ugettext(s),
        ngettext=lambda s, p, n: i18n.page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: i18n.page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: i18n.page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(_=_page_gettext, gettext=_page_gettext, ngettext=_page_ngettext)


def _page_gettext(string, /, **variables):
    # The catalog's text is the app's own, as Jinja treats it; the values are escaped by %.
    text = Markup(i18n.page_translations().ugettext(string))  # noqa: S704
    return text % variables if variables or "%" in text else text


def _page_ngettext(singular, plural, num, /, **variables):
    variables.setdefault("num", num)
    return Markup(i18n.page_translations().ungettext(singular, plural, num)) % variables  # noqa: S704


_static_digests = {}


def _version_static_urls(endpoint, values):
    """Static URLs carry a digest of the file, so browsers may keep each version for a year."""
    if endpoint != "static" or "filename" not in values:
        return
    path = os.path.join(ROOT, "static", values["filename"])
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError:
        return
    key = (path, modified)
    if key not in _static_digests:
        with open(path, "rb") as static_file:
            _static_digests[key] = hashlib.sha256(static_file.read()).hexdigest()[:12]
    values.setdefault("v", _static_digests[key])


class FixedHeaders:
    """WSGI middleware: the headers every response carries, and its request's id.

    They are the same on every response, so they join the list handed to the server rather
    than being set (and each checked) on every response object.
    """

    def __init__(self, wsgi_app, headers):
        self.wsgi_app = wsgi_app
        self.headers = list(headers)

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            request_id = ("X-Request-Id", environ.get(REQUEST_ID, ""))
            return start_response(status, [*headers, *self.headers, request_id], exc_info)

        return self.wsgi_app(environ, start_with_headers)


def _start_log():
    """Before every other hook (CSRF's refusal included): the request's id and address, which
    every log line and audit event of the request carries."""
    request.environ[REQUEST_ID] = logs.begin_request(request.remote_addr)


def _begin_request():
    if _carries_nul():
        abort(400)
    if request.endpoint == "static":
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return None
    if getattr(user, "carried_over", False):
        login_user(user)  # the session moves on to the token its renewal gave
    now = clock.now().timestamp()
    settings = current_app.config
    idle = datetime.timedelta(minutes=settings[user.idle_setting]).total_seconds()
    absolute = datetime.timedelta(hours=settings["SESSION_ABSOLUTE_HOURS"]).total_seconds()
    started, seen = session.get("started", now), session.get("seen", now)
    if now - seen > idle or now - started > absolute:
        sign_in.rotate_session_token(user)
        logout_user()
        session.clear()
        session["timed_out"] = True
        return None
    if now - seen >= SEEN_EVERY_SECONDS:
        session["seen"] = now
    reuse_csrf_token()
    return None


def _carries_nul():
    """Whether the address or the form holds a NUL character. Nothing here has a use for one,
    and PostgreSQL refuses text that holds one: such a request is answered as unreadable."""
    if "\x00" in request.path or b"%00" in request.query_string:
        return True
    if request.method != "POST" or not request.form:
        return False
    return any("\x00" in value for _name, value in request.form.items(multi=True))


def _cache_headers(response):
    headers = response.headers
    if request.endpoint != "static":
        # Pages are personal and differ for htmx requests: no cache keeps them.
        headers["Cache-Control"] = "no-store"
        if "Vary" in headers:
            response.vary.update(VARY)
        else:
            headers["Vary"] = ", ".join(VARY)
    elif request.args.get("v"):
        # The URL names the file's version (see _version_static_urls): it never changes.
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
