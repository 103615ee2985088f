"""Password sign-in: slow hashes, lockout after repeated failures, uniform answers."""

import datetime
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from webapp import audit, clock
from webapp.extensions import db
from webapp.prepared import Prepared

MAX_FAILURES = 5
LOCK_FOR = datetime.timedelta(minutes=15)

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
    type(user).update(session_token=token).where(type(user).id == user.id).execute()
    user.session_token = token


_by_id = {}


def session_user(model, number, token):
    """The user whose current session token this is, else None."""
    query = _by_id.get(model)
    if query is None:
        # Every signed-in request asks this: the query is compiled once per model.
        query = _by_id[model] = Prepared(lambda id_: model.select().where(model.id == id_))
    user = query.first(int(number))
    if user is None or not token or not hmac.compare_digest(user.session_token, token):
        return None
    return user
