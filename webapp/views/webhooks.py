"""Callbacks from the SMS provider: Twilio's delivery status reports."""

import logging

from flask import Blueprint, abort, current_app, request
from twilio.request_validator import RequestValidator

from webapp import sms
from webapp.extensions import csrf

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
# Twilio signs its requests instead of carrying our CSRF token.
csrf.exempt(bp)


@bp.post("/twilio/status")
def twilio_status():
    """Store the delivery status Twilio reports for one of our messages."""
    if not _signed_by_twilio():
        # Said in the log: every callback refused at once is what a wrong PUBLIC_BASE_URL or
        # auth token looks like.
        log.warning(
            "Refused a delivery-status callback for %s: its signature does not match %s",
            request.path,
            current_app.config["PUBLIC_BASE_URL"],
        )
        abort(403)
    sms.record_status(
        sid=request.form.get("MessageSid", ""),
        provider_status=request.form.get("MessageStatus", ""),
        error_code=request.form.get("ErrorCode") or None,
    )
    return "", 204


def _signed_by_twilio():
    """True when X-Twilio-Signature is Twilio's signature of this request with our auth token."""
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    # Twilio signed the public URL it called, not the one a proxy in front of us passes on.
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return RequestValidator(token).validate(url, request.form, signature)
