"""Development-only pages: the SMS outbox of the console backend (never in production)."""

from flask import Blueprint, abort, render_template, request

from webapp import sms

bp = Blueprint("dev", __name__, url_prefix="/dev")

THIS_MACHINE = ("127.0.0.1", "::1")
_FORWARDED = {"Forwarded", "X-Forwarded-For", "X-Real-Ip"}


@bp.get("/outbox")
def outbox():
    """The console backend's newest 50 messages, so a developer can read the codes: only to a
    browser on the machine the app runs on, even where a development server is reachable from
    elsewhere."""
    if request.remote_addr not in THIS_MACHINE or _FORWARDED.intersection(request.headers.keys()):
        abort(404)  # a proxy or tunnel on this machine would bring others in from 127.0.0.1
    return render_template("dev/outbox.html", messages=sms.outbox())
