"""Social security services after binding: overview, contributions, paying fees, receipts."""

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp import payments, pii, registry, social_security
from webapp.models import Payment
from webapp.payment_forms import BaseForm, PayForm, SendCodeForm
from webapp.views import services_text
from webapp.views.auth import renew_session
from webapp.views.codes import announce_new_code, held_notice, page_state, send_or_explain
from webapp.views.navigation import render_page, wants_fragment

bp = Blueprint("services", __name__, url_prefix="/services")
services_text.install(bp)

YEAR_REGION = "contribution-year"


@bp.before_request
@login_required
def _customers_only():
    """Every services page needs a logged-in customer."""


def _access(with_account=False):
    """The customer's access; with_account for the pages that show or debit the account."""
    return social_security.access(current_user._get_current_object(), with_account)


def _page(fragment, title, **context):
    return render_page("services/page.html", fragment, title=title, **context)


def _unavailable(access):
    """The page for a customer without a usable binding: bind first, or why it is paused."""
    title = _("Bind your card first") if access.state == "none" else _("Services paused")
    return _page("services/_unavailable.html", title, access=access, section=None)


def _refused(access, reason, item=None):
    message = services_text.refusal(reason)
    return _page(
        "services/_refused.html",
        _("We cannot take this payment"),
        access=access,
        message=message,
        reason=reason,
        item=item,
        section="pay",
    )


@bp.get("")
def overview():
    """Insured person, employers (and late registrations), participation, personal accounts."""
    access = _access()
    if access.state != social_security.BOUND:
        return _unavailable(access)
    data = social_security.overview(access.id_number)
    return _page(
        "services/_overview.html",
        _("My social security"),
        access=access,
        overview=data,
        masked_name=pii.mask_name(data.person.name) if data.person else "",
        section="overview",
    )


@bp.get("/contributions")
def contributions():
    """Contribution records of one year, by month; the year filter swaps them in place."""
    access = _access()
    if access.state != social_security.BOUND:
        return _unavailable(access)
    today = registry.today()
    years = social_security.contribution_years(access.id_number, today)
    asked = request.args.get("year")
    year = request.args.get("year", type=int)
    if year not in years:
        year = years[0] if years else None
    context = {
        "access": access,
        "years": years,
        # A year asked for in the address that has no records: said, and the newest shown.
        "asked_year": asked
        if asked is not None and year is not None and str(year) != asked
        else None,
        "year": social_security.contribution_year(access.id_number, year, years, today)
        if year
        else None,
        "section": "contributions",
    }
    if wants_fragment(YEAR_REGION):
        response = make_response(render_template("services/_year_swap.html", **context))
        response.headers["HX-Push-Url"] = url_for("services.contributions", year=year)
        return response
    return _page("services/_contributions.html", _("Contribution records"), **context)


@bp.get("/pay")
def pay():
    """The fees the registry offers, each with its window and amount."""
    access = _access(with_account=True)
    if access.state != social_security.BOUND:
        return _unavailable(access)
    today = registry.today()
    items = sorted(registry.payable_items(access.id_number), key=lambda i: _pay_order(i, today))
    return _page(
        "services/_pay.html",
        _("Pay social insurance fees"),
        access=access,
        items=items,
        today=today,
        section="pay",
    )


def _pay_order(item, today):
    """What can be paid now first, then what opens later, then what is paid or closed."""
    if item.paid:
        rank = 2
    elif today > item.closes_on:
        rank = 3
    else:
        rank = 0 if item.is_open(today) else 1
    return rank, item.closes_on


@bp.get("/pay/<code>")
def confirm(code):
    """Choose a base where the item has one, then confirm: amount, period, account, balance."""
    access = _access(with_account=True)
    if access.state != social_security.BOUND:
        return _unavailable(access)
    item = registry.payable_item(access.id_number, code)
    if item is None:
        abort(404)
    form = None
    if item.has_base:
        form = BaseForm(request.args, item=item)
        if "base" not in request.args or not form.validate():
            return _page(
                "services/_base.html",
                _("Choose your contribution base"),
                access=access,
                item=item,
                form=form,
                section="pay",
            )
    try:
        quote = payments.quote(access, code, form.fen if form else None, registry.today())
    except payments.Refused as refused:
        return _refused(access, refused.reason, item)
    send_form = SendCodeForm(key=payments.new_key(), base=form.base.data if form else "")
    return _page(
        "services/_confirm.html",
        _("Confirm your payment"),
        access=access,
        quote=quote,
        form=send_form,
        held_notice=held_notice(
            quote.account, payments.subject_of(current_user.id, send_form.key.data)
        )
        if quote.affordable
        else None,
        section="pay",
    )


def _quote_from(access, code, base_text):
    """The quote for a posted or linked payment (base as typed on the base page)."""
    base_fen = payments.parse_base(base_text) if base_text else None
    return payments.quote(access, code, base_fen, registry.today())


@bp.post("/pay/<code>/code")
def send_code(code):
    """Send (or resend) the code that authorises the payment on the confirm page."""
    access = _access(with_account=True)
    if access.state == "none":
        return _unavailable(access)
    form = SendCodeForm()
    if not form.validate_on_submit():
        abort(400)
    key, base = form.key.data, form.base.data or None
    paid = _receipt_if_paid(key)
    if paid:
        return paid
    try:
        quote = _quote_from(access, code, base)
        again = form.again.data == "1"
        sent = send_or_explain(payments.send_code, access, quote, key, again=again)
    except payments.Refused as refused:
        return _refused_unless_paid(access, key, refused)
    if sent and again:
        announce_new_code()
    return redirect(url_for("services.authorise", code=code, key=key, base=base), 303)


def _to_receipt(number):
    return redirect(url_for("services.receipt", number=number), 303)


def _replayed(number):
    """A form that was already paid, sent again: say so, and show the same receipt."""
    flash(_("This payment was already made. Nothing more was taken."), "info")
    return _to_receipt(number)


def _refused_unless_paid(access, key, refused, item=None):
    """The refusal, unless the same form sent at the same moment (a double tap, a second tab)
    has paid since this request looked: the item is paid because of it, so its receipt."""
    return _receipt_if_paid(key) or _refused(access, refused.reason, item)


def _receipt_if_paid(key):
    """To the receipt of the customer's payment under this key (said to be paid already when
    the form was sent again), or None when nothing was paid under it."""
    paid = _paid_already(key)
    if not paid:
        return None
    return _replayed(paid) if request.method == "POST" else _to_receipt(paid)


def _paid_already(key):
    """The receipt number of the customer's payment under this key, or None (404 if another's)."""
    try:
        payment = payments.paid_under(key, current_user.id)
    except payments.NotFound:
        abort(404)
    return payment.receipt_number if payment else None


@bp.route("/pay/<code>/authorise", methods=["GET", "POST"])
def authorise(code):
    """Enter the code: a correct one pays once; a repeat of a paid form shows its receipt."""
    access = _access(with_account=True)
    if access.state == "none":
        return _unavailable(access)
    key, base = request.values.get("key", ""), request.values.get("base") or None
    paid = _receipt_if_paid(key)
    if paid:
        return paid
    try:
        quote = _quote_from(access, code, base)
    except payments.Refused as refused:
        return _refused_unless_paid(access, key, refused)
    form = PayForm(key=key, base=base or "")
    checked = None
    if form.validate_on_submit():
        try:
            outcome = payments.pay(
                access,
                code,
                quote.base_fen,
                key,
                challenge_id=form.challenge_id.data,
                sms_code=form.code.data,
                today=registry.today(),
            )
        except payments.Refused as refused:
            return _refused_unless_paid(access, key, refused, quote.item)
        except payments.NotFound:
            abort(404)
        if outcome.payment is not None:
            number = outcome.payment.receipt_number
            if outcome.replayed:
                return _replayed(number)
            renew_session(current_user._get_current_object())  # after each successful code
            return _to_receipt(number)
        checked = outcome.check
    state, wait = page_state(
        payments.subject_of(current_user.id, key),
        payments.PURPOSE,
        quote.account.reserved_mobile,
        form,
        checked,
    )
    return _page(
        "services/_authorise.html",
        _("Authorise the payment"),
        access=access,
        quote=quote,
        form=form,
        state=state,
        wait=wait,
        section="pay",
    )


@bp.get("/payments")
def history():
    """The customer's payments, newest first, each with its receipt (also once the card that
    they paid for is unbound: they are the customer's own records at the bank)."""
    access = _access()
    return _page(
        "services/_payments.html",
        _("Payment history"),
        access=access,
        payments=list(Payment.for_customer(current_user.id)),
        section="payments",
    )


@bp.get("/payments/<number>")
def receipt(number):
    """One payment's receipt: number, time, item, amount, account; printable."""
    access = _access()
    payment = Payment.owned(current_user.id, number)
    if payment is None:
        abort(404)
    return _page(
        "services/_receipt.html",
        _("Payment receipt"),
        access=access,
        payment=payment,
        section="payments",
    )
