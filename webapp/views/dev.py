"""Development-only pages: the SMS outbox of the console backend (never in production)."""

from flask import Blueprint, render_template

from webapp import sms

bp = Blueprint("dev", __name__, url_prefix="/dev")


@bp.get("/outbox")
def outbox():
    """The console backend's newest 50 messages, so a developer can read the codes."""
    return render_template("dev/outbox.html", messages=sms.outbox())
