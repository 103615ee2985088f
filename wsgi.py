"""Entry point for WSGI servers: gunicorn wsgi:app."""

from webapp import create_app
from webapp.config import UnsafeConfiguration

try:
    app = create_app()
except UnsafeConfiguration as refused:
    # Said in one line, not as a traceback: the setting to fix is all an operator needs.
    raise SystemExit(str(refused)) from None
