"""The online-banking dashboard and the customer's binding page."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from webapp import binding
from webapp.forms import CancelForm
from webapp.models import Account, Application, Binding

bp = Blueprint("banking", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    """The customer's accounts and their social security tile."""
    accounts = Account.listed_for(current_user.id)
    return render_template(
        "banking/dashboard.html", accounts=accounts, status=binding.summary(current_user.id)
    )


@bp.get("/binding")
@login_required
def my_binding():
    """The current binding or application, and the history of both."""
    return render_template(
        "banking/my_binding.html",
        status=binding.summary(current_user.id),
        applications=list(Application.history(current_user.id)),
        bindings=list(Binding.history(current_user.id)),
        cancel_form=CancelForm(),
    )
