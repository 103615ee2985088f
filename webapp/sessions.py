"""Signed-cookie sessions: Flask's, with the signer built once and a plain JSON payload.

Flask builds a new signing serializer for every request, probing its JSON serializer each time,
and tags every value so that tuples, bytes or dates survive the round trip. The app keeps only
strings, numbers, booleans, lists and dicts in its session (flashed messages come back as
[category, message] lists, lazily translated text as its text), so plain JSON does, and the signer is made once per secret key.
The cookie is signed and timestamped exactly as Flask does it.
"""

import json

from flask.sessions import SecureCookieSessionInterface


def _as_text(value):
    """Lazily translated strings (Flask-Login's "Log in to continue.") are kept as their text."""
    if hasattr(value, "__html__"):
        return str(value)
    raise TypeError(f"a {type(value).__name__} cannot be kept in the session")


class _PlainJson:
    """The payload serializer: compact JSON, refusing anything JSON cannot hold."""

    @staticmethod
    def dumps(value):
        return json.dumps(value, separators=(",", ":"), default=_as_text)

    @staticmethod
    def loads(value):
        return json.loads(value)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session with a cached signer."""

    serializer = _PlainJson

    def __init__(self):
        self._signer = (None, None)

    def get_signing_serializer(self, app):
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        cached_keys, signer = self._signer
        if cached_keys != keys:
            signer = super().get_signing_serializer(app)
            self._signer = (keys, signer)
        return signer
