"""Code pages: sending a code for the request, and what each outcome and refusal says."""

import datetime
import math
from urllib.parse import urlsplit

from flask import current_app, flash, request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from webapp import clock, i18n, otp, sms

# From this many codes left, the resend form says how many remain.
FEW_CODES_LEFT = 2


def public_host():
    """The host WebOTP binds codes to: the public base URL's host."""
    return urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"


def send_or_explain(send, *args, again=False, **kwargs):
    """Send a code with the request's address, language and host; say why if none went out.

    A refusal or a provider failure becomes a message on the next page. again: the customer
    pressed "Send a new code". Returns whether a code was sent.
    """
    try:
        send(
            *args,
            ip=request.remote_addr or "",
            locale=str(get_locale()),
            host=public_host(),
            **kwargs,
        )
    except otp.Refused as refused:
        # Every page this leads to is a code page, which counts down the wait before a new
        # code, and says a lock or the mobile number's daily limit in place of its resend
        # button: the flash says none of them a second time. (A press of "Send a new code"
        # during the wait, possible without JavaScript, is still answered.)
        if refused.reason == "cooldown" and again:
            flash(_("We can send a new code only when the countdown below ends."), "warning")
        elif refused.reason not in ("cooldown", "locked", "mobile_limit"):
            flash(refusal_message(refused), "error")
        return False
    except sms.SendFailed:
        flash(send_failed_message(), "error")
        return False
    return True


# Outcomes of a code that can no longer be used (see otp._spent).
UNUSABLE = ("expired", "dead", "replaced", "ended", "used")


def outcome_message(result, state):
    """The message for a code that did not verify, beside the page's state after it."""
    if result.outcome == "wrong" and result.lock_follows:
        return ngettext(
            "That code is not right. You have %(num)d attempt left before verification locks for "
            "%(minutes)d minutes.",
            "That code is not right. You have %(num)d attempts left before verification locks for "
            "%(minutes)d minutes.",
            result.attempts_left,
            minutes=lock_minutes(),
        )
    if result.outcome == "wrong":
        return ngettext(
            "That code is not right. You have %(num)d attempt left with this code.",
            "That code is not right. You have %(num)d attempts left with this code.",
            result.attempts_left,
        )
    if result.outcome == "earlier":
        return _(
            "That code is from an earlier text message: it stopped working when we sent a newer "
            "one. Enter the code from the newest message."
        )
    if result.outcome in UNUSABLE and not may_ask(state):
        # No "ask for a new code": the page says below why not, or what asking would do.
        return _unusable_last_message(result.outcome)
    if result.outcome == "expired":
        return _("That code has expired: codes are valid for 5 minutes. Ask for a new code.")
    if result.outcome == "dead":
        return _(
            "That code was entered wrongly 5 times, so it no longer works. Ask for a new code."
        )
    if result.outcome == "replaced":
        return _(
            "That code stopped working when we sent a newer one. Enter the code from the newest "
            "message, or ask for a new code."
        )
    if result.outcome == "ended":
        return _("That code no longer works. Ask for a new code.")
    if result.outcome == "locked":
        return locked_message(result.locked_until)
    if result.outcome == "used":
        return _("That code was already used. Ask for a new code if you still need one.")
    return _("That code does not belong to this request. Enter the latest code we sent.")


def may_ask(state):
    """Whether the page may tell the customer to ask for a new code: not while verification is
    locked or the number's daily limit holds, nor once every code has been had (asking for
    another then locks verification)."""
    return bool(state.codes_left and not state.held and not state.locked_until)


def _unusable_last_message(outcome):
    """The message for a code that can no longer be used, when asking for another is not the
    way on (see may_ask)."""
    if outcome == "expired":
        return _("That code has expired: codes are valid for 5 minutes.")
    if outcome == "used":
        return _("That code was already used.")
    if outcome == "dead":
        return _("That code was entered wrongly 5 times, so it no longer works.")
    if outcome == "replaced":
        return _(
            "That code stopped working when we sent a newer one. Enter the code from the newest "
            "message."
        )
    return _("That code no longer works.")


def validity_line(state):
    """Under "We sent a code": until when the code is valid, and the wrong entries left; these
    also say when running out of them locks verification."""
    time = i18n.format_clock(state.expires_at)
    if state.lock_follows:
        return _(
            "The code is valid until %(time)s. Attempts left before verification locks for "
            "%(minutes)d minutes: %(n)d.",
            time=time,
            minutes=lock_minutes(),
            n=state.attempts_left,
        )
    return _(
        "The code is valid until %(time)s. Attempts left: %(n)s.", time=time, n=state.attempts_left
    )


def codes_left_line(state):
    """Beside "Send a new code" when few codes are left: how many, or that asking for another
    locks verification. None while there are plenty."""
    if state.codes_left == 0 and state.challenge:
        return _(
            "This is the last of the %(total)d codes you can ask for. If it does not work, "
            "verification locks for %(minutes)d minutes; after that you can ask again.",
            total=otp.CODES_PER_SUBJECT,
            minutes=lock_minutes(),
        )
    if state.codes_left == 0:
        return _(
            "You have had all %(total)d codes. Asking for another locks verification for "
            "%(minutes)d minutes; after that you can ask again.",
            total=otp.CODES_PER_SUBJECT,
            minutes=lock_minutes(),
        )
    if state.codes_left <= FEW_CODES_LEFT:
        return ngettext(
            "You can ask for %(num)d more code.",
            "You can ask for %(num)d more codes.",
            state.codes_left,
        )
    return None


def locked_message(until):
    """Verification is locked until a time, after too many attempts."""
    return _(
        "Verification is locked until %(time)s after too many attempts. Try again then, or "
        "call %(hotline)s.",
        time=retry_time(until),
        hotline=current_app.config["BANK_HOTLINE"],
    )


def retry_time(moment):
    """When something may be tried again, to the minute and rounded up (trying at the minute
    shown works): the time of day when that is still today (China time), else the date with it
    (a day's limit ends tomorrow)."""
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    if clock.local(moment).date() == clock.local(clock.now()).date():
        return i18n.format_clock(moment)
    return i18n.format_day_and_clock(moment)


def lock_minutes():
    """How long a lock lasts, in minutes, as the pages say it."""
    return int(otp.LOCK_FOR.total_seconds() // 60)


def refusal_message(refused):
    """The message for a code we would not send."""
    when = retry_time(refused.retry_at) if refused.retry_at else ""
    if refused.reason == "cooldown":
        seconds = max(1, math.ceil((refused.retry_at - clock.now()).total_seconds()))
        return ngettext(
            "You can ask for a new code in %(n)s second.",
            "You can ask for a new code in %(n)s seconds.",
            seconds,
            n=seconds,
        )
    if refused.reason == "codes_used_up":
        return _(
            "You have asked for too many codes. Verification is locked until %(time)s; then try "
            "again, or call %(hotline)s.",
            time=when,
            hotline=current_app.config["BANK_HOTLINE"],
        )
    if refused.reason == "locked":
        return locked_message(refused.retry_at)
    if refused.reason == "last_code":
        return _(
            "You have had all %(total)d codes. Enter the last one we sent: it is valid until "
            "%(time)s.",
            total=otp.CODES_PER_SUBJECT,
            time=when,
        )
    if refused.reason == "mobile_limit":
        # Also what a code page says in place of "Send a new code" while the limit holds.
        return _(
            "This mobile number has had all the codes it can get in 24 hours. You can ask for another "
            "code after %(time)s.",
            time=when,
        )
    if refused.reason == "ip_limit":
        return _(
            "Too many codes have been asked for from your network. Try again after %(time)s.",
            time=when,
        )
    return _(
        "We are sending a lot of messages right now, so sending is paused. Try again in a minute."
    )


def held_notice(account, subject, may_go_on=False):
    """What a page leading to a code page says while no code can be sent for this subject:
    the customer's verification is locked, or the account's reserved mobile number has had all
    its codes for 24 hours; None otherwise. Where going on is of use (may_go_on: the wizard
    keeps the application until the code can be asked for; a code the unbind already sent still
    works on its code page) it says so; elsewhere, to come back."""
    locked = otp.locked_until(subject, current_user.id)
    if locked is not None:
        if may_go_on:
            return _(
                "Verification is locked until %(time)s after too many attempts, so we cannot "
                "send a code before then. You can continue now and ask for the code then.",
                time=retry_time(locked),
            )
        return _(
            "Verification is locked until %(time)s after too many attempts, so we cannot send a "
            "code before then. Please come back then.",
            time=retry_time(locked),
        )
    held = otp.mobile_held(account.reserved_mobile)
    if held is None:
        return None
    values = {
        "limit": otp.SMS_PER_MOBILE,
        "mobile": account.masked_mobile,
        "time": retry_time(held.retry_at),
    }
    if may_go_on:
        return _(
            "A mobile number may get at most %(limit)d codes in 24 hours and %(mobile)s has had "
            "them, so we cannot send it another until %(time)s. You can continue now and ask for "
            "the code then.",
            **values,
        )
    return _(
        "A mobile number may get at most %(limit)d codes in 24 hours and %(mobile)s has had "
        "them, so we cannot send it another until %(time)s. Please come back then.",
        **values,
    )


def announce_new_code():
    """After "Send a new code" sent one: say so, and that older codes stopped working."""
    flash(_("We sent a new code. Any earlier code no longer works."), "success")


def send_failed_message():
    """The message when the SMS provider did not take the message."""
    return _("We could not send the code. Check your signal and try again in a moment.")


def page_state(subject, purpose, mobile, form, result=None):
    """What a code page shows: the otp state and the seconds left before a resend. mobile: the
    number codes go to, whose daily limit may hold new codes. The form's hidden field names the
    current code; given the result of checking a code, its message goes on the code field."""
    state = otp.state(subject=subject, purpose=purpose, customer=current_user.id, mobile=mobile)
    wait = 0
    if state.resend_at:
        wait = max(0, math.ceil((state.resend_at - clock.now()).total_seconds()))
    if state.challenge is not None:
        form.challenge_id.data = state.challenge.public_id
    if result is not None:
        if result.outcome != "locked" or not state.locked_until:
            form.code.errors = [outcome_message(result, state)]
        # else the page's notice says it: there is nothing in the form to put right.
        form.code.data = ""
    return state, wait
