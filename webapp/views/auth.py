"""Customer login and logout."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from webapp import audit, clock, sign_in
from webapp.extensions import limiter
from webapp.extensions import login as login_manager
from webapp.forms import LoginForm
from webapp.i18n import lazy_gettext as _l
from webapp.models import Agent, Customer
from webapp.views.navigation import (
    page_to_return_to,
    render_with_token,
    safe_next,
    send_to_log_in,
)

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Log in to continue.")
login_manager.login_message_category = "info"
# A session is tied to the user's session token, which changes at every login, logout and time
# out (sign_in.rotate_session_token). Flask-Login's own protection would only mark a session
# "not fresh", which nothing here looks at, after hashing the client's address every request.
login_manager.session_protection = None


@login_manager.unauthorized_handler
def log_in_first():
    """Not signed in (or no longer): to the login page, and back afterwards to the page asked
    for, or to the page a form was sent from (navigation.page_to_return_to)."""
    if g.get("session_ended_elsewhere"):
        # Said once, on the login page, in place of "Log in to continue".
        session.pop("_user_id", None)
        session["ended_elsewhere"] = True
    else:
        flash(login_manager.login_message, login_manager.login_message_category)
    return send_to_log_in(url_for(login_manager.login_view, next=page_to_return_to()))


@login_manager.user_loader
def load_user(user_id):
    """The signed-in user from the session's id ("customer:7:<token>" or "agent:3:<token>")."""
    kind, number, token = (user_id.split(":") + ["", ""])[:3]
    model = {"customer": Customer, "agent": Agent}.get(kind)
    if model is None or not number.isdigit():
        return None
    user = sign_in.session_user(model, number, token, _renewal_proof())
    if user is None and model is Customer:
        # A login or logout elsewhere, or in another tab, gave the customer a new token.
        g.session_ended_elsewhere = True
    return user


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.get("/login")
def login():
    """Show the login form (or the dashboard to a customer already signed in)."""
    if current_user.is_authenticated:
        return redirect(url_for("banking.dashboard"))
    return _login_page()


@bp.post("/login")
@limiter.limit(_login_limit)
def submit_login():
    """Check the credentials; on success start a fresh session and go to the dashboard."""
    if current_user.is_authenticated:
        return redirect(url_for("banking.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        customer = sign_in.authenticate(Customer, form.username.data, form.password.data)
        if customer is not None:
            start_session(customer)
            return redirect(safe_next(request.args.get("next"), url_for("banking.dashboard")), 303)
        error = _(
            "The username or password is wrong, or this login is locked for 15 minutes after "
            "too many attempts. Check them and try again later, or call %(hotline)s.",
            hotline=current_app.config["BANK_HOTLINE"],
        )
        return _login_page(form, error)
    return _login_page(form)


def _login_page(form=None, error=None):
    """The login page; a first visit with nothing to report is the same for everyone."""
    timed_out = session.pop("timed_out", False)
    ended_elsewhere = session.pop("ended_elsewhere", False)
    if form is None and not (
        timed_out or ended_elsewhere or request.query_string or "_flashes" in session
    ):
        return render_with_token("auth/login.html", lambda: {"form": LoginForm()})
    form = form or LoginForm()
    return render_template(
        "auth/login.html",
        form=form,
        error=error,
        timed_out=timed_out,
        ended_elsewhere=ended_elsewhere,
    )


def start_session(user):
    """Forget everything in the old session and begin a new one for this user.

    The user's session token changes, so any earlier copy of a session cookie stops working.
    """
    session.clear()
    g.pop("csrf_token", None)  # signed from the old session's token: a page now needs a new one
    sign_in.rotate_session_token(user)
    login_user(user)
    now = clock.now().timestamp()
    session["started"] = now
    session["seen"] = now


def renew_session(customer):
    """After a verified code, a new session for the customer (SPEC 3.1, 3.6): a new token, so
    earlier copies of the cookie stop working, and the same start, CSRF token and messages, so
    the idle and absolute limits run on and pages already open (their forms, the header's Log
    out) keep working."""
    if sign_in.renew_session_token(customer, _renewal_proof()):
        login_user(customer)
        session["seen"] = clock.now().timestamp()


# The pages whose right code renews the session: the only requests a renewal's twin can be.
CODE_FORMS = frozenset({"verify.code", "manage.unbind_verify", "services.authorise"})


def _renewal_proof():
    """What ties a renewal to its twin (see sign_in.renew_session_token): the code page, its
    form's challenge id and the code typed into it. Only the one who had the code can send it:
    a copy of the old cookie, which can read the challenge id from the page, cannot. Empty for
    any other request."""
    if request.method != "POST" or request.endpoint not in CODE_FORMS:
        return ""
    challenge_id, code = request.form.get("challenge_id", ""), request.form.get("code", "")
    if not (challenge_id and code):
        return ""
    return f"{request.endpoint}:{challenge_id[:64]}:{code[:32]}"


@bp.after_app_request
def keep_up_with_a_renewal(response):
    """After a code page's POST: if the customer's session token changed while it ran, this
    request's answer must not write the replaced token back over the new one.

    Both taps of a double tap can be let in before either renews the session; the second then
    finds the work done and answers with the cookie as it came, whichever answer the browser
    keeps last. So the twin of the renewal moves on to the new token as a late twin would (see
    sign_in.carried_over), and any other request leaves the cookie as it is.
    """
    if request.method != "POST" or request.endpoint not in CODE_FORMS:
        return response
    user = current_user._get_current_object()
    if not isinstance(user, Customer):
        return response
    now_current = Customer.get_or_none(Customer.id == user.id)
    if now_current is None or now_current.session_token == user.session_token:
        return response
    if sign_in.carried_over(now_current, user.session_token, _renewal_proof()):
        login_user(now_current)
    else:
        g.leave_session_cookie = True
    return response


@bp.post("/logout")
@login_required
def logout():
    """End the session."""
    audit.record("logout", actor=current_user._get_current_object(), customer=current_user.id)
    end_session()
    return redirect(url_for("auth.login", logged_out=1), 303)


def end_session():
    """Log out here and everywhere the same session cookie was copied to."""
    sign_in.rotate_session_token(current_user._get_current_object())
    logout_user()
    session.clear()
