"""Managing a binding: unbind (confirmed with a code), change account, the signed agreement."""

from flask import Blueprint, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import agreement, binding, clock, completion, sign_in, signatures
from webapp.forms import CancelForm, CodeForm, UnbindForm
from webapp.models import Application, Binding, SignatureRecord
from webapp.views.auth import renew_session
from webapp.views.codes import announce_new_code, held_notice, page_state, send_or_explain
from webapp.views.navigation import render_page

bp = Blueprint("manage", __name__, url_prefix="/binding")


@bp.before_request
@login_required
def _customers_only():
    """Every page here needs a logged-in customer."""


def _active_binding():
    active = Binding.active_for(current_user._get_current_object())
    if active is None:
        _say_no_binding()
    return active


@bp.route("/unbind", methods=["GET", "POST"])
def unbind():
    """Say why, then we text a code to confirm the unbind."""
    active = _active_binding()
    if active is None:
        return redirect(url_for("banking.my_binding"), 303)
    form = UnbindForm()
    if form.validate_on_submit():
        session["unbind_reason"] = form.reason.data
        _send_unbind_code(active)
        return redirect(url_for("manage.unbind_verify"), 303)
    return render_page(
        "bind/step.html",
        "manage/_unbind.html",
        title=_("Unbind your card"),
        form=form,
        binding=active,
        application=None,
        held_notice=held_notice(active.account, completion.unbind_subject(active), may_go_on=True),
    )


def _send_unbind_code(active, again=False):
    return send_or_explain(completion.send_unbind_code, active, again=again)


@bp.route("/unbind/verify", methods=["GET", "POST"])
def unbind_verify():
    """Enter the code that confirms the unbind."""
    active = Binding.active_for(current_user._get_current_object())
    if active is None:
        session.pop("unbind_reason", None)  # kept by a twin's session from before its code
        ended = request.method == "POST" and Binding.ended_since(
            current_user.id, clock.now() - sign_in.RENEWAL_GRACE
        )
        if ended:
            # The second tap of a double tap: the first one's answer, with its message, is the
            # one the browser dropped.
            _say_unbound(ended)
        else:
            _say_no_binding()
        return redirect(url_for("banking.my_binding"), 303)
    if "unbind_reason" not in session:
        return redirect(url_for("manage.unbind"), 303)
    form = CodeForm()
    result = None
    if form.validate_on_submit():
        result = completion.verify_unbind(
            active,
            challenge_id=form.challenge_id.data,
            code=form.code.data,
            reason=session["unbind_reason"],
        )
        if result.outcome == "ok":
            session.pop("unbind_reason", None)
            renew_session(current_user._get_current_object())  # after each successful code
            _say_unbound(active)
            return redirect(url_for("banking.my_binding"), 303)
    state, wait = page_state(
        completion.unbind_subject(active), "unbind", active.account.reserved_mobile, form, result
    )
    return render_page(
        "bind/step.html",
        "bind/_verify.html",
        title=_("Confirm the unbind"),
        heading=_("Confirm the unbind"),
        confirm_label=_("Unbind my card"),
        form=form,
        state=state,
        wait=wait,
        application=None,
        step=None,
        resend_url=url_for("manage.unbind_resend"),
        mobile=active.account.masked_mobile,
        keep_url=url_for("banking.my_binding"),
    )


@bp.post("/unbind/verify/resend")  # under the code page: a new login returns there
def unbind_resend():
    """Send a new unbind code."""
    active = _active_binding()
    if (
        active is not None
        and CancelForm().validate_on_submit()
        and _send_unbind_code(active, again=True)
    ):
        announce_new_code()
    return redirect(url_for("manage.unbind_verify"), 303)


@bp.post("/change")
def change_account():
    """Start moving the binding to another account."""
    active = _active_binding()
    if active is None or not CancelForm().validate_on_submit():
        return redirect(url_for("banking.my_binding"), 303)
    customer = current_user._get_current_object()
    if Application.open_for(customer) is None and not binding.can_move_to_another(active):
        flash(
            _(
                "None of your other accounts can take the binding: it needs an active CNY debit "
                "card with a reserved mobile number. Open one or update one at a branch, then "
                "change the account here."
            ),
            "warning",
        )
        return redirect(url_for("banking.my_binding"), 303)
    application = binding.start_change(customer, active)
    return redirect(url_for("bind.account", reference=application.reference), 303)


@bp.get("/agreement/<reference>")
def agreement_copy(reference):
    """The agreement the customer signed, with its signature record."""
    application = Application.owned(current_user._get_current_object(), reference)
    record = SignatureRecord.of(application) if application else None
    if record is None:
        abort(404)
    return render_page(
        "bind/step.html",
        "manage/_agreement.html",
        title=_("Your signed agreement"),
        application=application,
        record=record,
        intact=signatures.intact(record),
        text=agreement.text(record.agreement_language)
        if record.agreement_version == agreement.VERSION
        else None,
    )


def _say_no_binding():
    flash(_("You have no bound card."), "info")


def _say_unbound(binding):
    flash(_("Your card %(card)s is no longer bound.", card=binding.masked_card), "success")
