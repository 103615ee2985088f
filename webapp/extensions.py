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


db = Database()
login = LoginManager()
csrf = CSRFProtect()
babel = Babel()
htmx = Htmx()
limiter = Limiter(key_func=client_ip)
