"""Structured logging with a request id, and a last-line scrubber for personal data."""

import contextvars
import json
import logging
import re
import secrets
import threading

_BLANK = {"request_id": "", "ip": ""}
current = contextvars.ContextVar("request_info", default=_BLANK)  # noqa: B039 (never mutated)

# Long digit runs (ID, account, card, mobile numbers) never reach a log line in full, also when
# written in groups ("138 0013 8000", "6222-0210-0100-0012-345").
_IDENTIFIER = re.compile(
    r"(?<![0-9A-Za-z])(\+?86[ -]?)?[0-9](?:[ -]?[0-9]){10,18}[ -]?[0-9Xx]?(?![0-9A-Za-z])"
)


# A social security card number as typed (M31452876): 8–10 letters and digits, at least 6 of
# them digits, standing alone (a reference such as SSB-7K3M9QXD follows a hyphen, and is kept).
_CARD_NUMBER = re.compile(
    r"(?<![0-9A-Za-z_-])(?=(?:[A-Za-z]*[0-9]){6})[0-9A-Za-z]{8,10}(?![0-9A-Za-z_-])"
)


def scrub(text):
    """Mask any run of 11+ digits (single spaces or hyphens allowed) that looks like an identifier,
    and any word that looks like a card number."""
    return _CARD_NUMBER.sub(_mask, _IDENTIFIER.sub(_mask, text))


def _mask(match):
    found = match.group(0)
    return "*" * (len(found) - 4) + found[-4:]


def begin_request(ip):
    """Start a request's log context; returns its id."""
    request_id = _ids.next_id()
    current.set({"request_id": request_id, "ip": ip or ""})
    return request_id


class _RandomIds:
    """Request ids: 16 hex digits of the system's random source, read a few hundred at a time
    (one call to the system per id cost more than the rest of starting the request)."""

    BATCH = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._hex = ""

    def next_id(self):
        with self._lock:
            if not self._hex:
                self._hex = secrets.token_hex(self.BATCH)
            request_id, self._hex = self._hex[:16], self._hex[16:]
        return request_id


_ids = _RandomIds()


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, scrubbed message."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": current.get()["request_id"],
            "message": scrub(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(app):
    """Send the app's logs as JSON lines to stderr."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)
    for name in ("webapp", "werkzeug"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
