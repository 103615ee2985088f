"""Flask extensions as module globals, bound to the app in create_app()."""

from flask import request
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
    """FlaskDB that tolerates a connection already open in this thread (CLI, tests)."""

    def connect_db(self):
        if request.endpoint in self._excluded_routes:
            return
        self.database.connect(reuse_if_open=True)


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
        if not self._headers_enabled:
            # Rate-limit headers are off: the hook that would add them does nothing.
            app.after_request_funcs[None] = [
                hook
                for hook in app.after_request_funcs.get(None, [])
                if getattr(hook, "func", None) is not Limiter._Limiter__inject_headers
            ]


db = Database()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
limiter = RouteLimiter(key_func=client_ip)
