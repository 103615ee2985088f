"""The binding wizard, steps 1–4: before you start, card details, account, check your answers."""

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from webapp import agreement, binding
from webapp.forms import (
    AccountForm,
    CancelForm,
    CardDetailsForm,
    CheckAnswersForm,
    StartForm,
)
from webapp.models import Account, Application, Binding
from webapp.models.binding import AWAITING_VERIFICATION, DRAFT
from webapp.preflight import CHANGE_AN_ANSWER, MESSAGES
from webapp.views import card_step
from webapp.views.codes import held_notice
from webapp.views.navigation import render_page
from webapp.views.roles import is_customer
from webapp.views.verify import send_code

bp = Blueprint("bind", __name__, url_prefix="/bind")

STEP_ENDPOINTS = {2: "bind.card", 3: "bind.account", 4: "bind.check", 5: "verify.code"}


@bp.before_request
@login_required
def _customers_only():
    """Every wizard page needs a logged-in customer."""


def _owned(reference, statuses=(DRAFT,)):
    """The customer's own application in one of these states; 404 for anyone else's."""
    application = Application.owned(current_user._get_current_object(), reference)
    if application is None:
        abort(404)
    if application.status not in statuses:
        return application, redirect(_resume_url(application), 303)
    return application, None


def _resume_url(application):
    if not application.is_open:
        return url_for("banking.my_binding")
    return url_for(
        STEP_ENDPOINTS[binding.current_step(application)], reference=application.reference
    )


@bp.app_errorhandler(binding.StaleApplication)
def _changed_meanwhile(stale):
    """An application that changed while this request ran (the same form sent twice, another
    tab, an agent): nothing was done twice; say so, and show where the application stands."""
    if not is_customer(current_user):
        raise stale
    application = Application.owned(current_user._get_current_object(), stale.args[0])
    flash(
        _("This application changed in another tab or window. Here is where it stands now."),
        "info",
    )
    return redirect(_resume_url(application) if application else url_for("bind.start"), 303)


@bp.app_errorhandler(binding.StaleBinding)
def _binding_changed_meanwhile(stale):
    """A binding that ended while this request ran (an agent unbound it, another tab)."""
    if not is_customer(current_user):
        raise stale
    flash(_("Your binding changed in another tab or window. Here is how it stands now."), "info")
    return redirect(url_for("banking.my_binding"), 303)


def _render_step(fragment, application, step, title, **context):
    return render_page(
        "bind/step.html",
        fragment,
        application=application,
        step=step,
        steps=binding.STEPS,
        title=title,
        **context,
    )


@bp.route("", methods=["GET", "POST"])
def start():
    """Step 1: what to prepare; confirming starts (or resumes) the application.

    A customer whose card is bound already is sent to their binding, where the account can be
    changed or the card unbound: a new binding would only be refused at step 4.
    """
    open_application = Application.open_for(current_user.id)
    if open_application is None and Binding.active_for(current_user.id) is not None:
        flash(
            _(
                "Your social security card is already bound. You can move it to another account "
                "or unbind it here."
            ),
            "info",
        )
        return redirect(url_for("banking.my_binding"), 303)
    form = StartForm()
    if form.validate_on_submit():
        application = binding.start(current_user._get_current_object())
        return redirect(_resume_url(application), 303)
    return _render_step(
        "bind/_start.html",
        open_application,
        1,
        _("Before you start"),
        form=form,
    )


@bp.route("/<reference>/card", methods=["GET", "POST"])
def card(reference):
    """Step 2: name, ID number, card number, insured region."""
    application, elsewhere = _owned(reference)
    if elsewhere:
        return elsewhere
    if application.purpose == Application.CHANGE_ACCOUNT:
        # The card stays the same when only the account changes.
        return redirect(url_for("bind.account", reference=reference), 303)
    if request.method != "POST":
        return _render_card(application, card_step.saved_fields(application))
    form = CardDetailsForm()
    if form.validate_on_submit():
        binding.save_card_details(
            application,
            full_name=form.full_name.data,
            id_number=form.id_number.data,
            card_number=form.card_number.data,
            region=form.region.data,
        )
        return redirect(_next_url(application, "bind.account"), 303)
    return _render_card(application, card_step.sent_fields(form), form)


@bp.post("/<reference>/card/field/<name>")  # The step's URL + /field/<name> (see card_step)
def card_field(reference, name):
    """Inline check of one card-details field (htmx, on blur): returns that field alone."""
    _, elsewhere = _owned(reference)
    if elsewhere or name not in CardDetailsForm.FIELDS:
        abort(404)
    form = CardDetailsForm.one_field(name)
    form.validate()
    (field,) = card_step.sent_fields(form, check=request.script_root + request.path)
    # The field, and what its check found for the step's live region (see bind/_card.html).
    said = Markup('<p id="card-check-status" hx-swap-oob="innerHTML">%s</p>') % (field.error or "")
    return card_step.for_request().field(field) + said


def _render_card(application, fields, form=None):
    step = card_step.for_request()
    back = _back_url(application, url_for("bind.start"))
    body = step.page(application.reference, fields, back, form)
    return _render_step("bind/_prerendered.html", application, 2, step.words.title, body=body)


@bp.route("/<reference>/account", methods=["GET", "POST"])
def account(reference):
    """Step 3: choose the account, among the customer's own eligible accounts."""
    application, elsewhere = _owned(reference)
    if elsewhere:
        return elsewhere
    if application.step < 3:
        return redirect(_resume_url(application), 303)
    accounts = list(Account.of(current_user.id))
    bound_id = None
    if application.purpose == Application.CHANGE_ACCOUNT:
        # The card moves to another account: the one it is bound to now cannot be chosen.
        active = Binding.active_for(current_user.id)
        bound_id = active.account_id if active is not None else None
    eligible = [a.id for a in accounts if a.ineligibility is None and a.id != bound_id]
    form = AccountForm(eligible_ids=eligible, bound_id=bound_id)
    if request.method == "GET" and application.account_id:
        form.account.data = str(application.account_id)
    if form.validate_on_submit():
        chosen = Account.get_by_id(int(form.account.data))
        binding.choose_account(application, chosen)
        return redirect(_next_url(application, "bind.check"), 303)
    return _render_step(
        "bind/_account.html",
        application,
        3,
        _("Choose an account"),
        form=form,
        accounts=accounts,
        bound_id=bound_id,
        back=_back_url(application, _before_account(application)),
    )


def _before_account(application):
    """Step 3's previous page: the card details, or my binding when only the account changes."""
    if application.purpose == "change_account":
        return url_for("banking.my_binding")
    return url_for("bind.card", reference=application.reference)


@bp.route("/<reference>/check", methods=["GET", "POST"])
def check(reference):
    """Step 4: every answer with a Change link, the agreement, consent, submit."""
    application, elsewhere = _owned(reference)
    if elsewhere:
        return elsewhere
    if application.step < 4:
        return redirect(_resume_url(application), 303)
    language = "en" if str(get_locale()).startswith("en") else "zh"
    form = CheckAnswersForm()
    failure = None
    if form.validate_on_submit():
        failure = binding.submit(
            application,
            language=language,
            ip=request.remote_addr or "",
            user_agent=request.user_agent.string,
        )
        if failure is None:
            send_code(application)
            return redirect(url_for("verify.code", reference=reference), 303)
    failure = failure or (application.failure if request.method == "GET" else None)
    return _render_step(
        "bind/_check.html",
        application,
        4,
        _("Check your answers"),
        form=form,
        failure=failure,
        failure_message=MESSAGES.get(failure),
        change_an_answer=failure in CHANGE_AN_ANSWER,
        agreement_text=agreement.text(language),
        agreement_version=agreement.VERSION,
        held_notice=held_notice(
            application.account, binding.code_subject(application), may_go_on=True
        ),
    )


@bp.route("/<reference>/cancel", methods=["GET", "POST"])
def cancel(reference):
    """Confirm, then cancel the open application."""
    application, elsewhere = _owned(reference, statuses=(DRAFT, AWAITING_VERIFICATION))
    if elsewhere:
        return elsewhere
    form = CancelForm()
    if form.validate_on_submit():
        try:
            binding.cancel(application, actor=current_user._get_current_object())
        except binding.StaleApplication:
            # Completed or expired meanwhile: show where it stands instead.
            return redirect(_resume_url(application), 303)
        return redirect(url_for("banking.my_binding", cancelled=1), 303)
    return _render_step(
        "bind/_cancel.html",
        application,
        binding.current_step(application),
        _("Cancel this application?"),
        form=form,
        keep=_resume_url(application),  # "No, go back": the step the customer is on
    )


def _changing(application):
    """True on a step the customer reached from a Change link on Check your answers."""
    return request.args.get("change") == "1" and application.step >= 4


def _next_url(application, endpoint):
    """The next step, or back to Check your answers when the customer came from a Change link."""
    if _changing(application):
        return url_for("bind.check", reference=application.reference)
    return url_for(endpoint, reference=application.reference)


def _back_url(application, previous):
    """Where a step's Back link goes: the previous step, or back to Check your answers when the
    customer came from a Change link there."""
    if _changing(application):
        return url_for("bind.check", reference=application.reference)
    return previous
