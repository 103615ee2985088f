"""The binding wizard, steps 1–4: before you start, card details, account, check your answers."""

from typing import NamedTuple

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import escape

from webapp import agreement, binding, registry
from webapp.forms import (
    AccountForm,
    CancelForm,
    CardDetailsForm,
    CheckAnswersForm,
    StartForm,
)
from webapp.models import Account, Application
from webapp.models.binding import AWAITING_VERIFICATION, DRAFT
from webapp.preflight import MESSAGES
from webapp.views.navigation import render_page
from webapp.views.verify import send_code

bp = Blueprint("bind", __name__, url_prefix="/bind")

STEP_ENDPOINTS = {2: "bind.card", 3: "bind.account", 4: "bind.check", 5: "verify.code"}


@bp.before_request
@login_required
def _customers_only():
    """Every wizard page needs a logged-in customer."""


def _owned(reference, statuses=(DRAFT,)):
    """The customer's own application in one of these states; 404 for anyone else's."""
    application = Application.owned(current_user.id, reference)
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
    """Step 1: what to prepare; confirming starts (or resumes) the application."""
    form = StartForm()
    if form.validate_on_submit():
        application = binding.start(current_user._get_current_object())
        return redirect(_resume_url(application), 303)
    open_application = Application.open_for(current_user.id)
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
        # Nothing is checked before a submit: the fields show the answers saved so far.
        return _render_card(application, None, _saved_fields(application))
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
    return _render_card(application, form, _sent_fields(form, _check_urls(reference)))


@bp.post("/<reference>/card/field/<name>")
def card_field(reference, name):
    """Inline check of one card-details field (htmx, on blur): returns that field alone."""
    application, elsewhere = _owned(reference)
    if elsewhere or name not in CardDetailsForm.FIELDS:
        abort(404)
    form = CardDetailsForm.one_field(name)
    form.validate()
    here = {name: request.script_root + request.path}  # The field is checked here again
    return render_template(
        "bind/_card_field.html",
        field=_sent_fields(form, here)[0],
        parts=_card_parts(),
    )


class CardField(NamedTuple):
    """One card-details field as the step shows it."""

    name: str
    value: str | None  # for the region, the code chosen
    error: str | None  # the first thing wrong with it
    max_length: int | None
    check: str  # where it is checked inline


def _saved_fields(application):
    checks = _check_urls(application.reference)
    return [
        CardField(
            name,
            getattr(application, name),
            None,
            CardDetailsForm.MAX_LENGTHS.get(name),
            checks[name],
        )
        for name in CardDetailsForm.FIELDS
    ]


def _sent_fields(form, checks):
    return [
        CardField(
            field.name,
            field.data,
            escape(field.errors[0]) if field.errors else None,  # Translated once, not per use
            CardDetailsForm.MAX_LENGTHS.get(field.name),
            checks[field.name],
        )
        for field in form
        if field.name in CardDetailsForm.FIELDS
    ]


def _check_urls(reference):
    """Where each card field is checked: one URL built, the others differ only by the name."""
    first, *others = CardDetailsForm.FIELDS
    url = url_for("bind.card_field", reference=reference, name=first)
    stem = url[: -len(first)]
    return {first: url, **{name: stem + name for name in others}}


# str(locale) -> the card step's words and fields (templates/bind/_card_parts.html)
_card_parts_in = {}


def _card_parts():
    """The card step's words and fields in the request's language, made once per language."""
    language = str(get_locale())
    parts = _card_parts_in.get(language)
    if parts is None:
        template = current_app.jinja_env.get_template("bind/_card_parts.html")
        regions = [(code, str(name)) for code, name in registry.REGIONS.items()]
        options = {}
        parts = template.make_module(
            {"step": 2, "steps": binding.STEPS, "regions": regions, "options": options}
        )
        # The region list as it shows with each choice (none, the blank one, each region).
        for chosen in (None, "", *registry.REGIONS):
            options[chosen] = parts.region_options(chosen)
        if not current_app.debug:  # templates change as one works
            _card_parts_in[language] = parts
    return parts


def _render_card(application, form, fields):
    parts = _card_parts()
    return _render_step(
        "bind/_card.html", application, 2, parts.title, form=form, fields=fields, parts=parts
    )


@bp.route("/<reference>/account", methods=["GET", "POST"])
def account(reference):
    """Step 3: choose the account, among the customer's own eligible accounts."""
    application, elsewhere = _owned(reference)
    if elsewhere:
        return elsewhere
    if application.step < 3:
        return redirect(_resume_url(application), 303)
    accounts = list(Account.of(current_user.id))
    eligible = [a.id for a in accounts if a.ineligibility is None]
    form = AccountForm(eligible_ids=eligible)
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
    )


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
        agreement_text=agreement.text(language),
        agreement_version=agreement.VERSION,
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
    )


def _next_url(application, endpoint):
    """The next step, or back to Check your answers when the customer came from a Change link."""
    if request.args.get("change") == "1" and application.step >= 4:
        return url_for("bind.check", reference=application.reference)
    return url_for(endpoint, reference=application.reference)
