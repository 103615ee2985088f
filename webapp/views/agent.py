"""The customer-service agent console: sign-in, search, a customer's record, actions, access log.

Agents and customers never cross: a customer (or anyone not signed in as an agent) cannot open
a console page, and an agent session reaches nothing outside the console and the public pages.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from webapp import (
    access_log,
    agent_actions,
    agent_casefile,
    agent_search,
    agent_text,
    agents,
    audit,
    clock,
    identifiers,
    sign_in,
)
from webapp.agent_forms import AccessLogFilter, OpenRecordForm, ReasonForm, SearchForm
from webapp.extensions import limiter
from webapp.forms import LoginForm
from webapp.models import Agent, Application, Binding, Customer
from webapp.views import roles
from webapp.views.auth import end_session, start_session
from webapp.views.navigation import page_to_return_to, send_to_log_in, wants_fragment

bp = Blueprint("agent", __name__, url_prefix="/agent", cli_group=None)
bp.cli.add_command(agents.create_agent_command)

OPEN_TO_ALL = {"agent.login"}
SEARCH_REGION = "agent-search"


@bp.before_app_request
def _agents_stay_in_the_console():
    """An agent session reaches only the console and the public pages."""
    return roles.refuse_agents_outside_the_console(end_agent_session=_end_session)


@bp.before_request
def _agents_only():
    """Customers are refused; anyone else not signed in as an agent is sent to sign in."""
    if roles.is_customer(current_user):
        abort(403)
    if request.endpoint in OPEN_TO_ALL or roles.is_agent(current_user):
        return None
    return send_to_log_in(url_for("agent.login", next=page_to_return_to()))


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """The agents' own sign-in; same lockout and throttling as customers'."""
    if roles.is_agent(current_user):
        return redirect(url_for("agent.search"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        agent = sign_in.authenticate(Agent, form.username.data, form.password.data)
        if agent is not None:
            start_session(agent)
            return redirect(_next_in_console(request.args.get("next")), 303)
        error = _(
            "The username or password is wrong, or this sign-in is locked for 15 minutes after "
            "too many attempts. Check them and try again later, or ask your supervisor."
        )
    timed_out = session.pop("timed_out", False)
    return render_template("agent/login.html", form=form, error=error, timed_out=timed_out)


def _next_in_console(target):
    """Only console pages are worth returning to after an agent signs in."""
    console = request.script_root + "/agent/"
    if target and target.startswith(console) and not target.startswith(console + "/"):
        return target
    return url_for("agent.search")


@bp.post("/logout")
def logout():
    """End the agent's session."""
    return _end_session()


def _end_session():
    audit.record("logout", actor=current_user._get_current_object())
    end_session()
    return redirect(url_for("agent.login", logged_out=1), 303)


@bp.get("")
def home():
    """The console starts at the search."""
    return redirect(url_for("agent.search"))


@bp.route("/search", methods=["GET", "POST"])
def search():
    """One box for any identifier; results swap in place with htmx, or come as a whole page."""
    form = SearchForm()
    outcome = _search(form) if form.validate_on_submit() else None
    template = "agent/_search.html" if wants_fragment(SEARCH_REGION) else "agent/search.html"
    words = agent_text.search_words(form)
    return render_template(template, form=form, outcome=outcome, words=words)


def _search(form):
    """Recognise, check the reason, look up and log; None when the form needs correcting."""
    try:
        identifier = agent_search.recognise(
            form.query.data, current_app.config["CARD_NUMBER_PATTERN"]
        )
    except identifiers.Invalid as invalid:
        form.query.errors = [invalid.message]
        return None
    if form.reason_problem():
        return None
    matches = agent_search.find(identifier)
    entry = access_log.record_search(
        current_user._get_current_object(),
        kind=identifier.kind,
        masked_query=identifier.masked,
        reason=form.reason.data or "",
        note=form.note.data,
        result_count=len(matches),
    )
    # Opening a result records why, from this search.
    _remember_lookup([match.customer.id for match in matches], entry.reason, entry.note)
    form.query.data = ""
    return {"identifier": identifier, "matches": matches}


@bp.route("/customers/<id:customer_id>", methods=["GET", "POST"])
def customer(customer_id):
    """Everything about one customer's binding, masked; opening it is logged with why.

    The why comes from the search that found the customer. Opened any other way (an address
    typed or kept, a link in the access log), the record first asks for it.
    """
    lookup = session.get("agent_lookup") or {}
    if request.method == "POST" or customer_id not in lookup.get("customers", []):
        return _ask_why(customer_id)
    casefile = agent_casefile.open_casefile(customer_id)
    if casefile is None:
        abort(404)
    access_log.record_view(
        current_user._get_current_object(),
        customer_id=customer_id,
        reason=lookup.get("reason", ""),
        note=lookup.get("note", ""),
    )
    return render_template("agent/customer.html", file=casefile, now=clock.now())


def _ask_why(customer_id):
    """Why the agent opens a record no search led to; given, the record opens with it."""
    owner = Customer.get_or_none(Customer.id == customer_id)
    if owner is None:
        abort(404)
    form = OpenRecordForm()
    if form.validate_on_submit():
        _remember_lookup([customer_id], form.reason.data, form.note.data)
        return redirect(url_for("agent.customer", customer_id=customer_id), 303)
    return render_template("agent/why.html", form=form, customer=owner)


def _remember_lookup(customer_ids, reason, note):
    """Records opened next, from these customers, are logged with this reason: it never
    travels in a URL."""
    session["agent_lookup"] = {"customers": customer_ids, "reason": reason, "note": note}


@bp.get("/applications/<reference>")
def application(reference):
    """An application's reference leads to its customer's record."""
    found = Application.get_or_none(Application.reference == reference.upper()[:12])
    if found is None:
        abort(404)
    # The record asks why, unless a search that found the customer led here.
    return redirect(
        url_for("agent.customer", customer_id=found.customer_id, _anchor=found.reference), 303
    )


@bp.route("/customers/<id:customer_id>/locks/<id:lock_id>/unlock", methods=["GET", "POST"])
def unlock(customer_id, lock_id):
    """Confirm, then lift a verification lock so the customer can ask for a new code."""
    lock = agent_actions.lock_of(customer_id, lock_id)
    if lock is None:
        abort(404)
    return _act(
        customer_id,
        action="unlock",
        applies=lock.is_locked(clock.now()),
        perform=lambda agent, **why: agent_actions.unlock(agent, lock, **why),
        done=_(
            "Verification unlocked. The customer can ask for a new code once a minute has "
            "passed since the last one."
        ),
        lock=lock,
    )


@bp.route("/applications/<reference>/cancel", methods=["GET", "POST"])
def cancel(reference):
    """Confirm, then cancel an open application."""
    found = Application.get_or_none(Application.reference == reference.upper()[:12])
    if found is None:
        abort(404)
    return _act(
        found.customer_id,
        action="cancel",
        applies=found.is_open,
        perform=lambda agent, **why: agent_actions.cancel(agent, found, **why),
        done=_("Application %(reference)s was cancelled.", reference=found.reference),
        application=found,
    )


@bp.route("/customers/<id:customer_id>/unbind", methods=["GET", "POST"])
def unbind(customer_id):
    """Confirm, then end the customer's binding at their request."""
    active = Binding.active_for(customer_id)
    return _act(
        customer_id,
        action="unbind",
        applies=active is not None,
        perform=lambda agent, **why: agent_actions.unbind(agent, customer_id, **why),
        done=_("The binding was ended. The card is no longer bound to the account."),
        binding=active,
    )


def _act(customer_id, *, action, applies, perform, done, **context):
    """The confirmation page of an action; on a valid POST, do it and go back to the record."""
    owner = Customer.get_or_none(Customer.id == customer_id)
    if owner is None:
        abort(404)
    form = ReasonForm()
    status = 200
    if applies and form.validate_on_submit():
        try:
            perform(
                current_user._get_current_object(), reason=form.reason.data, note=form.note.data
            )
        except agent_actions.Refused:
            applies = False
        else:
            flash(done, "success")
            lookup = session.get("agent_lookup") or {}
            if customer_id not in lookup.get("customers", []) or not lookup.get("reason"):
                # Reached by its address or a reference: the action's reason is why the
                # record opens next.
                _remember_lookup([customer_id], form.reason.data, form.note.data)
            return redirect(url_for("agent.customer", customer_id=customer_id), 303)
    if not applies and request.method == "POST":
        # The record moved on (or never allowed this): nothing was changed; say so.
        status = 409
    return render_template(
        "agent/confirm.html",
        action=action,
        applies=applies,
        form=form,
        customer=owner,
        **context,
    ), status


@bp.get("/access-log")
@roles.supervisors_only
def access_log_page():
    """Supervisors read who looked up whom, when and why; filter by agent and date."""
    agents_list = list(Agent.select().order_by(Agent.username))
    form = AccessLogFilter(request.args, agents=agents_list)
    page = None
    if form.validate():
        on_or_after, before = access_log.local_day_bounds(
            form.since.data, form.until.data, clock.LOCAL_ZONE
        )
        page = access_log.page(
            agent_id=form.agent_id(),
            on_or_after=on_or_after,
            before=before,
            number=request.args.get("page", default=1, type=int),
        )
    filters = {
        name: request.args.get(name)
        for name in ("agent", "since", "until")
        if request.args.get(name)
    }
    return render_template("agent/access_log.html", form=form, page=page, filters=filters)
