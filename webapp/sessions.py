"""Signed-cookie sessions and their CSRF tokens, at a lower cost per request.

Sessions are Flask's, with the signer built once and a plain JSON payload.

Flask builds a new signing serializer for every request, probing its JSON serializer each time,
and tags every value so that tuples, bytes or dates survive the round trip. The app keeps only
strings, numbers, booleans, lists and dicts in its session (flashed messages come back as
[category, message] lists, lazily translated text as its text), so plain JSON does, and the signer is made once per secret key.
The cookie is signed and timestamped exactly as Flask does it. A browser sends the same
cookie with every request until its session changes, so a process remembers the cookies whose
signature it has checked (see _RememberingSerializer).

A page's CSRF token is Flask-WTF's: the session's secret token, signed. It is good for as long
as the session (WTF_CSRF_TIME_LIMIT is off): the session's own time-outs and the new session
at every login end it. Signing it anew for every page costs more than most of the page, so a
process reuses the signed form of a session's token for a few minutes (see reuse_csrf_token).

Neither the cookie nor a token is compressed (see _Uncompressed).
"""

import functools
import json
import secrets
import time

from flask import current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer

# A signed token is reused this long (Flask-WTF accepts it for the session's life).
CSRF_REUSE_SECONDS = 300
CSRF_TOKENS_KEPT = 4096


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


class _Uncompressed(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer, without its zlib pass.

    A session or a token is a few hundred bytes: zlib saves a handful of them and costs more
    than the signature (setting up its state takes ~12 us a call). And compressing secrets
    together with values a visitor chose is what compression oracles feed on. What it signs
    loads with any URLSafeTimedSerializer: a compressed payload is marked as such, this one
    is not.
    """

    def dump_payload(self, obj):
        return base64_encode(Serializer.dump_payload(self, obj))


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie session with a cached signer."""

    serializer = _PlainJson

    def __init__(self):
        self._signer = (None, None)

    def save_session(self, app, session, response):
        """Flask's, without its parse and rewrite of a Vary header that names Cookie already
        (every page's does: webapp._cache_headers)."""
        if session.accessed and "Cookie" in response.headers.get("Vary", ""):
            session.accessed = False  # It serves only to add Cookie to Vary here.
        if g.get("leave_session_cookie"):
            return  # the session moved on while this request ran (views.auth)
        super().save_session(app, session, response)

    def get_signing_serializer(self, app):
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        cached_keys, signer = self._signer
        if cached_keys != keys:
            serializer = _Uncompressed(
                list(keys),  # itsdangerous signs with the last: the current key
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
            signer = _RememberingSerializer(serializer)
            self._signer = (keys, signer)
        return signer


class _RememberingSerializer:
    """A session cookie serializer that remembers the cookies it has verified.

    Checking a signature again gives the same answer for the same cookie and keys (a new key
    makes a new serializer), so the payload a verified cookie carried is kept, as JSON text
    that each request reads into a session of its own. The cookie's age is checked every time.
    """

    KEPT = 4096

    def __init__(self, serializer):
        self.serializer = serializer
        self._verified = {}  # cookie -> (payload as JSON text, when it was signed)

    def dumps(self, payload):
        return self.serializer.dumps(payload)

    def loads(self, cookie, max_age=None):
        kept = self._verified.get(cookie)
        if kept is None:
            payload, signed_at = self.serializer.loads(
                cookie, max_age=max_age, return_timestamp=True
            )
            if len(self._verified) >= self.KEPT:
                self._verified.clear()
            self._verified[cookie] = (json.dumps(payload), int(signed_at.timestamp()))
            return payload
        text, signed_at = kept
        age = int(time.time()) - signed_at  # as itsdangerous counts it
        if age < 0 or (max_age is not None and age > max_age):
            self._verified.pop(cookie, None)
            raise SignatureExpired("the session has expired")
        return json.loads(text)


# (secret key, session's raw token) -> (signed token, when it was signed)
_signed_tokens = {}
CSRF_FIELD = "csrf_token"
CSRF_SALT = "wtf-csrf-token"  # Flask-WTF's, which checks the tokens


def csrf_token():
    """The request's signed CSRF token, as Flask-WTF's generate_csrf() makes it (the session's
    random token, signed with a timestamp) with a serializer made once per key. Flask-WTF's
    forms and its check take it as their own: both look for it in g first.
    """
    if CSRF_FIELD in g:
        return g.csrf_token
    if CSRF_FIELD not in session:
        session[CSRF_FIELD] = secrets.token_hex(20)  # 40 hex digits, as Flask-WTF's
    config = current_app.config
    secret = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    g.csrf_token = _csrf_serializer(secret).dumps(session[CSRF_FIELD])
    return g.csrf_token


@functools.lru_cache(maxsize=4)
def _csrf_serializer(secret):
    return _Uncompressed(secret, salt=CSRF_SALT)


def reuse_csrf_token():
    """Before a request: give the page the signed token made for this session a moment ago,
    rather than signing again. Sessions without a token are left alone (none is made here)."""
    raw = session.get("csrf_token") if "csrf_token" in session else None
    if not raw or "csrf_token" in g:
        return
    key = (current_app.secret_key, raw)
    now = time.monotonic()
    kept = _signed_tokens.get(key)
    if kept is not None and now - kept[1] < CSRF_REUSE_SECONDS:
        g.csrf_token = kept[0]
        return
    if len(_signed_tokens) >= CSRF_TOKENS_KEPT:
        _signed_tokens.clear()
    _signed_tokens[key] = (csrf_token(), now)
