"""Flask extensions as module globals, bound to the app in create_app()."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from htmx_flask import Htmx
from playhouse.flask_utils import FlaskDB


def client_ip():
    """The client's address as the WSGI server (or a trusted proxy fix) reports it."""
    return request.remote_addr or "unknown"


class Database(FlaskDB):
    """FlaskDB connecting when a request first queries, not before every request.

    Peewee opens (or borrows from the pool) a connection on the first query; the connection is
    given back when the request ends. Pages that read nothing (the guide, the login form,
    static files, the health check) never take one.
    """

    def _register_handlers(self, app):
        app.teardown_request(self.close_db)

    def close_db(self, exc):
        """At the end of every request: give back the connection, if the request took one."""
        if not self.database.is_closed():
            self.database.close()


class RouteLimiter(Limiter):
    """Flask-Limiter for limits declared on routes only (the login forms).

    The extension also checks application-wide and default limits before every request; this
    app declares none, and a decorated route is checked by its decorator, so that per-request
    check is left out.
    """

    def init_app(self, app):
        super().init_app(app)
        hooks = app.before_request_funcs.get(None, [])
        if self._check_request_limit in hooks:
            hooks.remove(self._check_request_limit)
        # Its teardown empties the state it keeps on the request context, making that state
        # first if the request never had any; it goes when the request context does.
        teardowns = app.teardown_request_funcs.get(None, [])
        if self._Limiter__release_context in teardowns:
            teardowns.remove(self._Limiter__release_context)
        if not self._headers_enabled:
            # Rate-limit headers are off: the hook that would add them does nothing.
            app.after_request_funcs[None] = [
                hook
                for hook in app.after_request_funcs.get(None, [])
                if getattr(hook, "func", None) is not Limiter._Limiter__inject_headers
            ]


class SessionLogin(LoginManager):
    """Flask-Login, skipping its session protection's work when that protection is off.

    Flask-Login hashes the client's address and browser on every request before it looks at
    whether protection is on. This app ties a session to a token rotated at every login,
    logout and time-out instead (see webapp.sign_in), and turns the protection off.
    """

    def treat_as_anonymous(self):
        """For the rest of this request, no one is signed in (the user could not be loaded)."""
        self._update_request_context_with_user()

    def _session_protection_failed(self):
        if not current_app.config.get("SESSION_PROTECTION", self.session_protection):
            return False
        return super()._session_protection_failed()


db = Database()
login = SessionLogin()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
limiter = RouteLimiter(key_func=client_ip)
