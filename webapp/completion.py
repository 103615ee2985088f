"""What a correct code completes: a binding, a change of account, or an unbind.

Each completion checks the code and makes its change in one transaction with guarded updates,
so a code that verifies twice at the same moment completes once, and a failure leaves nothing
half-done. Notices go out after the commit.
"""

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from peewee import IntegrityError

from webapp import audit, binding, clock, otp, signatures, sms
from webapp.extensions import db
from webapp.models import Application, Binding
from webapp.models.binding import AWAITING_VERIFICATION, BOUND


class NothingBound(binding.StaleApplication):
    """The binding that a change of account would move has ended meanwhile."""


subject_of = binding.code_subject


def unbind_subject(active):
    """The verification subject of a binding's unbind code."""
    return f"binding:{active.id}"


def application_terms(application):
    """What an application's code authorises, as its text names it: this card, this account."""
    return otp.terms(card=application.card_number, account=application.account.number)


def binding_terms(active):
    """What a binding's unbind code authorises: ending this card's binding to this account."""
    return otp.terms(card=active.card_number, account=active.account.number)


def send_application_code(application, *, ip, locale, host):
    """Text the code for an application awaiting verification (raises otp.Refused / sms.SendFailed)."""
    return otp.issue(
        customer=application.customer,
        purpose=application.purpose,
        subject=subject_of(application),
        mobile=application.account.reserved_mobile,
        ip=ip,
        card_tail=application.card_number,
        account_tail=application.account.number,
        locale=locale,
        host=host,
        terms=application_terms(application),
    )


def send_unbind_code(active, *, ip, locale, host):
    """Text the code that confirms an unbind."""
    return otp.issue(
        customer=active.customer,
        purpose="unbind",
        subject=unbind_subject(active),
        mobile=active.account.reserved_mobile,
        ip=ip,
        card_tail=active.card_number,
        account_tail=active.account.number,
        locale=locale,
        host=host,
        terms=binding_terms(active),
    )


def verify_application(application, *, challenge_id, code, ip, user_agent):
    """Check the code; when right, bind (or move) the card. Returns (CheckResult, Binding|None).

    A right code for an application that the pre-flight checks now refuse binds nothing: the
    application is a draft again, its failure set (None is returned in place of the result
    when another request bound the card or the customer at the same moment).
    """
    try:
        return _verify_application(application, challenge_id, code, ip, user_agent)
    except IntegrityError:
        # Only a binding made at this very moment breaks a unique index: now the checks see it.
        with db.database.atomic():
            if binding.refused_at_verification(application) is None:
                raise
        return None, None


def _verify_application(application, challenge_id, code, ip, user_agent):
    with db.database.atomic():
        result = otp.check(
            customer=application.customer,
            purpose=application.purpose,
            subject=subject_of(application),
            challenge_id=challenge_id,
            code=code,
            terms=application_terms(application),
        )
        if result.outcome != "ok" or binding.refused_at_verification(application):
            return result, None
        now = clock.now()
        moved = (
            Application.update(status=BOUND, step=5, closed_at=now, updated_at=now)
            .where(Application.id == application.id, Application.status == AWAITING_VERIFICATION)
            .execute()
        )
        if moved != 1:
            raise binding.StaleApplication(application.reference)
        replaced = None
        if application.purpose == Application.CHANGE_ACCOUNT:
            replaced = Binding.active_for(application.customer_id)
            if replaced is None:
                raise NothingBound(application.reference)
            binding.end(replaced, actor=application.customer, reason="changed_account", when=now)
        created = Binding.create(
            customer=application.customer_id,
            card_number=application.card_number,
            region=application.region,
            account=application.account_id,
            application=application,
            bound_at=now,
        )
        signatures.create(
            application, challenge_id=challenge_id, verified_at=now, ip=ip, user_agent=user_agent
        )
        audit.record(
            "binding.account_changed" if replaced else "binding.created",
            actor=application.customer,
            customer=application.customer_id,
            subject=application.reference,
            card=created.masked_card,
            account=application.account.masked_number,
            previous_account=replaced.account.masked_number if replaced else None,
        )
    application.status = BOUND
    notify(created, "changed" if replaced else "bound")
    return result, created


def verify_unbind(active, *, challenge_id, code, reason):
    """Check the unbind code; when right, end the binding. Returns the CheckResult."""
    with db.database.atomic():
        result = otp.check(
            customer=active.customer,
            purpose="unbind",
            subject=unbind_subject(active),
            challenge_id=challenge_id,
            code=code,
            terms=binding_terms(active),
        )
        if result.outcome == "ok":
            binding.end(active, actor=active.customer, reason=reason)
    if result.outcome == "ok":
        notify(active, "unbound")
    return result


def notify(subject_binding, event):
    """Tell the reserved mobile what just happened to the card, in the language of the page."""
    account = subject_binding.account
    hotline = current_app.config["BANK_HOTLINE"]
    values = {
        "card": subject_binding.masked_card,
        "account": account.masked_number,
        "time": clock.local(clock.now()).strftime("%H:%M"),
        "hotline": hotline,
        "bank": sms.bank_name(get_locale()),
    }
    text = {
        "bound": _(
            "%(bank)s: Social security card %(card)s was bound to account %(account)s at %(time)s. "
            "If this was not you, call %(hotline)s.",
            **values,
        ),
        "changed": _(
            "%(bank)s: Social security card %(card)s was moved to account %(account)s at %(time)s. "
            "If this was not you, call %(hotline)s.",
            **values,
        ),
        "unbound": _(
            "%(bank)s: Social security card %(card)s was unbound from account %(account)s at %(time)s. "
            "If this was not you, call %(hotline)s.",
            **values,
        ),
    }[event]
    sms.send_notice(customer=subject_binding.customer_id, mobile=account.reserved_mobile, text=text)
