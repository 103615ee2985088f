"""Password sign-in: slow hashes, lockout after repeated failures, uniform answers."""

import datetime
import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from webapp import audit, clock
from webapp.extensions import db
from webapp.prepared import Prepared

MAX_FAILURES = 5
LOCK_FOR = datetime.timedelta(minutes=15)
# How long the token a renewal replaced still lets in requests already under way.
RENEWAL_GRACE = datetime.timedelta(seconds=10)

# Checked against when there is no real hash to check, so an unknown or locked user costs the
# same time as a known one.
_DECOY_HASH = generate_password_hash("decoy-password-for-uniform-timing")


def hash_password(password):
    """A slow, salted hash (scrypt) of a password."""
    return generate_password_hash(password)


def authenticate(model, username, password):
    """The user whose username and password match and who is not locked out, else None."""
    user = model.get_or_none(model.username == (username or "").strip().lower())
    if user is None:
        check_password_hash(_DECOY_HASH, password or "")
        return None
    now = clock.now()
    if user.locked_until and user.locked_until > now:
        check_password_hash(_DECOY_HASH, password or "")
        audit.record(
            "login.refused_locked", actor=user, customer=_customer(user), outcome="refused"
        )
        return None
    if not check_password_hash(user.password_hash, password or ""):
        _count_failure(model, user, now)
        return None
    with db.database.atomic():
        model.update(failed_logins=0, locked_until=None).where(model.id == user.id).execute()
        audit.record("login.succeeded", actor=user, customer=_customer(user))
    return user


def _count_failure(model, user, now):
    expired_lock = user.locked_until is not None and user.locked_until <= now
    with db.database.atomic():
        if expired_lock:
            model.update(failed_logins=0, locked_until=None).where(model.id == user.id).execute()
        model.update(failed_logins=model.failed_logins + 1).where(model.id == user.id).execute()
        failures = model.get_by_id(user.id).failed_logins
        if failures >= MAX_FAILURES:
            model.update(locked_until=now + LOCK_FOR).where(model.id == user.id).execute()
            audit.record("login.locked", actor=user, customer=_customer(user), outcome="locked")
        else:
            audit.record(
                "login.failed",
                actor=user,
                customer=_customer(user),
                outcome="failed",
                failures=failures,
            )


def _customer(user):
    return user if getattr(user, "actor_kind", "customer") == "customer" else None


def rotate_session_token(user):
    """Give the user a new session token, ending every session that carried the old one."""
    token = secrets.token_hex(16)
    changes = {"session_token": token}
    if _renews(user):
        changes.update(previous_session_token="", session_renewed_at=None)
    type(user).update(changes).where(type(user).id == user.id).execute()
    for name, value in changes.items():
        setattr(user, name, value)


def renew_session_token(customer, proof):
    """A new session token after a verified code. For RENEWAL_GRACE the token before it still
    lets in the twin of the request that verified the code: a request that was already on its
    way with the old cookie and the same form (the second tap of a double tap), whose proof is
    the page it is sent to, the form's challenge id and the code typed into it. That request's
    answer carries the new token (see carried_over).
    Any other use of the old token, and every use after the grace, is refused.

    Returns False, changing nothing, when the token moved on meanwhile (a logout, another
    renewal): this request's session is then no longer one to renew.
    """
    token = secrets.token_hex(16)
    model = type(customer)
    changes = {
        "session_token": token,
        "previous_session_token": _twin_token(customer.session_token, proof),
        "session_renewed_at": clock.now(),
    }
    renewed = (
        model.update(changes)
        .where(model.id == customer.id, model.session_token == customer.session_token)
        .execute()
    )
    if renewed:
        for name, value in changes.items():
            setattr(customer, name, value)
    return bool(renewed)


def _twin_token(token, proof):
    """What a renewal keeps of the token it replaced: which token it was, and the form that
    verified the code with it (16 hex digits of a digest of each), so that only that form, sent
    with that token, is let in during the grace."""
    return _digest(token) + _digest(f"{token}:{proof}")


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _renews(user):
    return hasattr(type(user), "previous_session_token")


_by_id = {}


def session_user(model, number, token, proof=""):
    """The user whose current session token this is, else None. proof: the challenge id and
    code a code page's form carries, which may make it the twin of a renewal (see
    renew_session_token)."""
    query = _by_id.get(model)
    if query is None:
        # Every signed-in request asks this: the query is compiled once per model.
        query = _by_id[model] = Prepared(lambda id_: model.select().where(model.id == id_))
    user = query.first(int(number))
    if user is None or not token:
        return None
    if hmac.compare_digest(user.session_token, token):
        return user
    if proof and carried_over(user, token, proof):
        user.carried_over = True  # the request's answer gives it the new token
        return user
    return None


def carried_over(user, token, proof):
    """Whether this token and form are the twin of a renewal moments ago.

    The replaced token sent with any other code form ends the grace at once, and says so in
    the audit log: the twin comes from whoever typed the code, and whoever holds a copy of the
    old cookie gets no second guess at it.
    """
    previous = getattr(user, "previous_session_token", "")
    renewed_at = getattr(user, "session_renewed_at", None)
    if not (previous and renewed_at and clock.now() - renewed_at <= RENEWAL_GRACE):
        return False
    if not hmac.compare_digest(previous[:16], _digest(token)):
        return False  # not the token the renewal replaced
    model = type(user)
    still_open = (model.id == user.id) & (model.previous_session_token == previous)
    if hmac.compare_digest(previous[16:], _digest(f"{token}:{proof}")):
        # Let in only while no wrong guess has ended the grace since the row was read: requests
        # sent side by side get no more guesses than requests sent one after another.
        return model.update(previous_session_token=previous).where(still_open).execute() == 1
    if model.update(previous_session_token="").where(still_open).execute():
        # Whoever sent it holds the old cookie: not necessarily the customer.
        audit.record("session.twin_refused", customer=user, outcome="refused")
    return False
