"""Steps 5 and 6: verify it's you with the SMS code, then the confirmation and signed agreement."""

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import binding, completion
from webapp.forms import CancelForm, CodeForm
from webapp.models import Application, SignatureRecord
from webapp.models.binding import AWAITING_VERIFICATION, BOUND, DRAFT
from webapp.views.auth import renew_session
from webapp.views.codes import announce_new_code, page_state, send_or_explain
from webapp.views.navigation import render_page

bp = Blueprint("verify", __name__, url_prefix="/bind")


@bp.before_request
@login_required
def _customers_only():
    """Every verification page needs a logged-in customer."""


def _owned(reference, status):
    application = Application.owned(
        current_user._get_current_object(), reference, with_account=True
    )
    if application is None:
        abort(404)
    return application, application.status == status


def send_code(application, again=False):
    """Text a code for the application; a refusal or failure becomes a message on the page."""
    return send_or_explain(completion.send_application_code, application, again=again)


@bp.route("/<reference>/verify", methods=["GET", "POST"])
def code(reference):
    """Step 5: where the code went, the code field, resend, help."""
    application, awaiting = _owned(reference, AWAITING_VERIFICATION)
    if not awaiting:
        if application.status == BOUND:
            return redirect(url_for("verify.done", reference=reference), 303)
        return redirect(url_for("bind.start"), 303)
    form = CodeForm()
    result = None
    if form.validate_on_submit():
        result, created = completion.verify_application(
            application,
            challenge_id=form.challenge_id.data,
            code=form.code.data,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
        )
        if created is not None:
            renew_session(current_user._get_current_object())  # after each successful code
            return redirect(url_for("verify.done", reference=reference), 303)
        if application.status == DRAFT:
            # Refused on a check run again with the code: Check your answers says why.
            return redirect(url_for("bind.check", reference=reference), 303)
    return _render_code_page(application, form, result)


def _render_code_page(application, form, result=None):
    state, wait = page_state(
        completion.subject_of(application),
        application.purpose,
        application.account.reserved_mobile,
        form,
        result,
    )
    return render_page(
        "bind/step.html",
        "bind/_verify.html",
        application=application,
        step=5,
        steps=binding.STEPS,
        title=_("Verify it's you"),
        form=form,
        state=state,
        wait=wait,
        cancel_form=CancelForm(),
        resend_url=url_for("verify.resend", reference=application.reference),
        mobile=application.account.masked_mobile,
    )


@bp.post("/<reference>/verify/resend")
def resend(reference):
    """Send a new code (the old one stops working); the server enforces the 60-second wait."""
    application, awaiting = _owned(reference, AWAITING_VERIFICATION)
    if awaiting and CancelForm().validate_on_submit() and send_code(application, again=True):
        announce_new_code()
    return redirect(url_for("verify.code", reference=reference), 303)


@bp.post("/<reference>/verify/change")
def change_answers(reference):
    """Go back to Check your answers to change something before verifying."""
    application, awaiting = _owned(reference, AWAITING_VERIFICATION)
    if awaiting and CancelForm().validate_on_submit():
        try:
            binding.back_to_draft(application)
        except binding.StaleApplication:
            return redirect(url_for("verify.code", reference=reference), 303)
    return redirect(url_for("bind.check", reference=reference), 303)


@bp.get("/<reference>/done")
def done(reference):
    """Step 6: the card is bound — reference, account, time, and the signed agreement."""
    application, bound = _owned(reference, BOUND)
    if not bound:
        return redirect(url_for("bind.start"), 303)
    record = SignatureRecord.of(application)
    moved = application.purpose == Application.CHANGE_ACCOUNT
    return render_page(
        "bind/step.html",
        "bind/_done.html",
        application=application,
        record=record,
        title=_("Your card is now bound to the new account") if moved else _("Your card is bound"),
        step=None,
        steps=binding.STEPS,
    )
