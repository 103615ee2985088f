"""Audit events in words for the agent console's timeline: who did what, with what outcome."""

import datetime
from dataclasses import dataclass

from flask_babel import format_datetime

from webapp.forms import UNBIND_REASONS
from webapp.i18n import lazy_gettext as _l

ACTIONS = {
    "login.succeeded": _l("Logged in"),
    "login.failed": _l("Login failed: wrong password"),
    "login.locked": _l("Login locked for 15 minutes after 5 failed attempts"),
    "login.refused_locked": _l("Login refused while locked"),
    "logout": _l("Logged out"),
    "session.twin_refused": _l(
        "The session from before a verified code was sent back with another code: refused"
    ),
    "application.started": _l("Started an application"),
    "application.card_details_saved": _l("Entered the card details"),
    "application.account_chosen": _l("Chose the account"),
    "application.preflight_failed": _l("Submitted, but a pre-flight check failed"),
    "application.refused_at_verification": _l(
        "Right code entered, but a pre-flight check failed on the second look"
    ),
    "application.submitted": _l("Submitted the application and consented"),
    "application.reopened": _l("Went back to change an answer"),
    "application.cancelled": _l("Application cancelled"),
    "application.expired": _l("Application expired after 24 hours untouched"),
    "otp.issued": _l("Code sent by SMS"),
    "otp.send_failed": _l("Code not sent: the SMS provider failed"),
    "otp.refused": _l("Code not sent"),
    "otp.checked": _l("Code entered"),
    "otp.locked": _l("Verification locked for 30 minutes"),
    "otp.unlocked": _l("Verification unlocked"),
    "sms.notice_sent": _l("Security notice sent by SMS"),
    "binding.created": _l("Card bound"),
    "binding.account_changed": _l("Binding moved to another account"),
    "binding.ended": _l("Binding ended"),
    "agent.note": _l("Agent's note"),
    "payment.paid": _l("Paid a social insurance fee"),
    "payment.refused": _l("Payment refused"),
}

OUTCOMES = {
    "ok": _l("Done"),
    "refused": _l("Refused"),
    "failed": _l("Failed"),
    "locked": _l("Locked"),
    "wrong": _l("Wrong code"),
    "earlier": _l("Code from an earlier message"),
    "expired": _l("Code expired"),
    "dead": _l("Code entered wrongly 5 times"),
    "replaced": _l("Code replaced by a newer one"),
    "ended": _l("Code no longer usable"),
    "used": _l("Code already used"),
    "missing": _l("Not a current code"),
    "cooldown": _l("Asked again within 60 seconds"),
    "codes_used_up": _l("All 5 codes used"),
    "last_code": _l("Asked for a new code while the last one still worked"),
    "wrong_entries": _l("10 wrong entries"),
    "mobile_limit": _l("Daily limit for this mobile number reached"),
    "ip_limit": _l("Hourly limit for this network reached"),
    "global_limit": _l("Sending paused: too many messages in a minute"),
}

CHECKS = {
    "card_not_found": _l("card not found with these details"),
    "not_own_id": _l("not the customer's own ID number"),
    "card_not_activated": _l("card not activated"),
    "card_lost": _l("card reported lost"),
    "card_frozen": _l("card frozen"),
    "card_cancelled": _l("card cancelled"),
    "already_bound_to_you": _l("card already bound to this customer"),
    "bound_elsewhere": _l("card bound in another profile"),
    "customer_has_binding": _l("customer already has a binding"),
    "account_ineligible": _l("account not eligible"),
    "same_account": _l("card already bound to the chosen account"),
}

REASONS = {
    "customer_call": _l("Customer call"),
    "complaint": _l("Complaint"),
    "fraud_check": _l("Fraud check"),
    "other": _l("Other"),
}

# Why a customer, or the system, ended or cancelled something (the agents' own are REASONS).
OWN_REASONS = {
    "customer": _l("The customer's own request"),
    "changed_account": ACTIONS["binding.account_changed"],
    "binding_ended": _l("The binding it would move had ended"),
    **UNBIND_REASONS,
}

PURPOSES = {
    "bind": _l("binding"),
    "unbind": _l("unbinding"),
    "change_account": _l("change of account"),
    "pay": _l("payment"),
}


@dataclass(frozen=True)
class Entry:
    """One line of the timeline."""

    at: datetime.datetime
    actor_kind: str
    who: str
    what: str
    outcome: str
    good: bool
    details: list


def describe(event, *, customer_name, agent_name=None):
    """The timeline entry of one audit event."""
    if event.actor_kind == "agent":
        who = _l("Agent %(name)s", name=agent_name or event.actor_name)
    elif event.actor_kind == "customer":
        who = _l("Customer %(name)s", name=customer_name)
    else:
        who = _l("System")
    return Entry(
        at=event.at,
        actor_kind=event.actor_kind,
        who=str(who),
        what=str(ACTIONS.get(event.action, event.action)),
        outcome=str(OUTCOMES.get(event.outcome, event.outcome)),
        good=event.outcome == "ok",
        details=_details(event.details),
    )


def reason_label(reason):
    """An action's reason in words ("agent:complaint" -> "Complaint")."""
    code = (reason or "").removeprefix("agent:")
    return str(REASONS.get(code) or OWN_REASONS.get(code, code))


def _details(detail):
    """(label, value) pairs for the parts of an event's detail an agent needs."""
    shown = []
    if detail.get("purpose") in PURPOSES:
        shown.append((_l("For"), PURPOSES[detail["purpose"]]))
    if detail.get("check"):
        shown.append((_l("Check"), CHECKS.get(detail["check"], detail["check"])))
    for key, label in (("card", _l("Card")), ("account", _l("Account")), ("mobile", _l("Mobile"))):
        if detail.get(key):
            shown.append((label, detail[key]))
    if detail.get("attempts_left") is not None and detail.get("attempts_left") != 0:
        shown.append((_l("Attempts left"), detail["attempts_left"]))
    if detail.get("failures"):
        shown.append((_l("Failed attempts"), detail["failures"]))
    if detail.get("error_code"):
        shown.append((_l("Provider error code"), detail["error_code"]))
    if detail.get("locked_until"):
        until = datetime.datetime.fromisoformat(detail["locked_until"])
        shown.append((_l("Locked until"), format_datetime(until, "medium")))
    if detail.get("retry_at"):
        retry = datetime.datetime.fromisoformat(detail["retry_at"])
        shown.append((_l("Can ask again at"), format_datetime(retry, "medium")))
    if detail.get("reason"):
        shown.append((_l("Reason"), reason_label(detail["reason"])))
    if detail.get("note"):
        shown.append((_l("Note"), detail["note"]))
    return [(str(label), str(value)) for label, value in shown]
