"""The online-banking dashboard."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from webapp.models import Account

bp = Blueprint("banking", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    """The customer's accounts and their social security tile."""
    accounts = list(Account.of(current_user.id))
    return render_template("banking/dashboard.html", accounts=accounts)
