"""One-time-code challenges, the lock and counters of what they authorise, and every SMS sent."""

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from webapp import clock, pii
from webapp.models.base import BaseModel
from webapp.models.customers import Customer


class Challenge(BaseModel):
    """One code sent to the reserved mobile to authorise one purpose for one subject.

    Only an HMAC of the code is kept, keyed by the server and bound to public_id (the id the
    page carries); the code itself is never stored.
    """

    SENDING, ACTIVE, SUPERSEDED, DEAD, USED, FAILED = (
        "sending",
        "active",
        "superseded",
        "dead",
        "used",
        "failed",
    )
    # Every code handed to the provider counts as issued; one the provider refused does not.
    ISSUED = (SENDING, ACTIVE, SUPERSEDED, DEAD, USED)

    public_id = CharField(max_length=32, unique=True)
    customer = ForeignKeyField(Customer, backref="challenges", on_delete="RESTRICT")
    purpose = CharField(max_length=20)
    subject = CharField(max_length=100)
    masked_mobile = CharField(max_length=20)
    code_hash = CharField(max_length=64)
    status = CharField(max_length=12, default=SENDING)
    attempts = IntegerField(default=0)
    ip = CharField(max_length=45, default="")
    created_at = DateTimeField(default=clock.now)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("subject", "purpose", "created_at"), False),)

    @classmethod
    def latest(cls, subject, purpose, statuses=ISSUED):
        """The newest challenge of this subject and purpose in one of these states, or None."""
        return (
            cls.select()
            .where(cls.subject == subject, cls.purpose == purpose, cls.status.in_(statuses))
            .order_by(cls.created_at.desc(), cls.id.desc())
            .first()
        )

    @classmethod
    def issued_since(cls, subject, since):
        """How many codes this subject (any purpose) was sent since a time (None: ever)."""
        query = cls.select().where(cls.subject == subject, cls.status.in_(cls.ISSUED))
        if since is not None:
            query = query.where(cls.created_at >= since)
        return query.count()

    @classmethod
    def issued_list(cls, subject, since, purpose):
        """The codes this subject (any purpose) was sent since a time (None: ever), and any
        older one of this purpose that is still active; newest first."""
        query = cls.select().where(cls.subject == subject, cls.status.in_(cls.ISSUED))
        if since is not None:
            query = query.where(
                (cls.created_at >= since) | ((cls.purpose == purpose) & (cls.status == cls.ACTIVE))
            )
        return list(query.order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def kill_active(cls, subject, purpose=None, keep=None):
        """End the subject's active codes (of one purpose, if given), all but one to keep."""
        query = cls.update(status=cls.DEAD if purpose is None else cls.SUPERSEDED).where(
            cls.subject == subject, cls.status == cls.ACTIVE
        )
        if purpose is not None:
            query = query.where(cls.purpose == purpose)
        if keep is not None:
            query = query.where(cls.id != keep.id)
        return query.execute()

    def move(self, expected, status, **changes):
        """Guarded transition: True when this challenge was still in the expected state."""
        query = (
            type(self)
            .update(status=status, **changes)
            .where(type(self).id == self.id, type(self).status == expected)
        )
        return query.execute() == 1

    @classmethod
    def entered(cls, public_id, customer_id, subject, purpose, now):
        """The challenge a code was entered for (None when there is none), and the customer's
        codes for this subject and purpose that newer ones replaced and that would still be
        valid now: what may be typed from an earlier text message. One statement."""
        earlier = (
            (cls.customer == customer_id)
            & (cls.subject == subject)
            & (cls.purpose == purpose)
            & (cls.status == cls.SUPERSEDED)
            & (cls.expires_at > now)
        )
        rows = list(cls.select().where((cls.public_id == public_id) | earlier))
        current = next((row for row in rows if row.public_id == public_id), None)
        return current, [row for row in rows if row is not current]

    def count_wrong_entry(self):
        """Add a wrong entry to an active code; its new count, or None if it is no longer active."""
        cls = type(self)
        counted = (
            cls.update(attempts=cls.attempts + 1)
            .where(cls.id == self.id, cls.status == cls.ACTIVE)
            .execute()
        )
        return cls.get_by_id(self.id).attempts if counted else None

    @classmethod
    def customer_of(cls, subject):
        """The customer whose codes this subject's challenges went to, or None."""
        latest = cls.select(cls.customer).where(cls.subject == subject).order_by(cls.id.desc())
        row = latest.first()
        return row.customer_id if row else None


class VerificationSubject(BaseModel):
    """What codes authorise ("application:SSB-7K3M9QXD"): its lock and the counts behind one.

    Codes issued and wrong entries count from counted_since, which moves on when a lock ends or
    an agent unlocks, so an old run of failures never locks the subject again.
    """

    subject = CharField(max_length=100, unique=True)
    counted_since = DateTimeField(null=True)
    wrong_entries = IntegerField(default=0)
    locked_until = DateTimeField(null=True)
    lock_reason = CharField(max_length=20, default="")
    updated_at = DateTimeField(default=clock.now)

    def is_locked(self, now):
        """True while a lock is in force."""
        return self.locked_until is not None and now < self.locked_until

    @classmethod
    def with_customer_lock(cls, subject, customer_id, now):
        """The subject's row (None before its first code), and when the lock in force on it
        ends, or else the last lock in force on any subject of the customer's codes; None when
        nothing is locked. One statement.

        A lock holds for the customer, not only for what it was earned on: a new application
        (or a payment) would otherwise be a way round it.
        """
        subjects = Challenge.select(Challenge.subject).where(Challenge.customer == customer_id)
        rows = list(
            cls.select().where(
                (cls.subject == subject) | (cls.subject.in_(subjects) & (cls.locked_until > now))
            )
        )
        record = next((row for row in rows if row.subject == subject), None)
        if record is not None and record.is_locked(now):
            return record, record.locked_until
        return record, max((row.locked_until for row in rows if row.is_locked(now)), default=None)

    @classmethod
    def row(cls, subject, now):
        """The subject's row, created on first use; a write, so it also takes the write lock."""
        cls.insert(subject=subject, updated_at=now).on_conflict_ignore().execute()
        return cls.get(cls.subject == subject)

    def count_wrong_entry(self):
        """Add a wrong entry; returns the subject's count since counted_since."""
        cls = type(self)
        cls.update(wrong_entries=cls.wrong_entries + 1).where(cls.id == self.id).execute()
        return cls.get_by_id(self.id).wrong_entries

    def lock(self, reason, until, now):
        """Lock until a time; codes and wrong entries count afresh from then."""
        cls = type(self)
        cls.update(
            locked_until=until,
            lock_reason=reason,
            counted_since=until,
            wrong_entries=0,
            updated_at=now,
        ).where(cls.id == self.id).execute()

    @classmethod
    def lift(cls, subject, now):
        """End a lock in force now and restart the counts; False when there was none."""
        lifted = (
            cls.update(
                locked_until=None,
                lock_reason="",
                counted_since=now,
                wrong_entries=0,
                updated_at=now,
            )
            .where(cls.subject == subject, cls.locked_until > now)
            .execute()
        )
        return lifted == 1


class SmsMessage(BaseModel):
    """One SMS handed to the provider, with its delivery status; a code's text is never kept."""

    CODE, NOTICE = "code", "notice"
    QUEUED, SENT, DELIVERED, FAILED, UNDELIVERED = (
        "queued",
        "sent",
        "delivered",
        "failed",
        "undelivered",
    )
    # A status only ever moves up this ladder; the last rung is final.
    RANK = {QUEUED: 0, SENT: 1, DELIVERED: 2, FAILED: 2, UNDELIVERED: 2}

    customer = ForeignKeyField(Customer, backref="sms_messages", on_delete="RESTRICT")
    challenge = ForeignKeyField(Challenge, null=True, backref="messages", on_delete="RESTRICT")
    kind = CharField(max_length=10)
    purpose = CharField(max_length=20, default="")
    mobile = pii.EncryptedField()
    mobile_index = pii.BlindIndexField("mobile", "mobile", index=True)
    ip = CharField(max_length=45, default="")
    provider = CharField(max_length=20)
    provider_sid = CharField(max_length=64, unique=True, null=True)
    status = CharField(max_length=12, default=QUEUED)
    error_code = CharField(max_length=20, null=True)
    error_message = CharField(max_length=255, null=True)
    created_at = DateTimeField(default=clock.now, index=True)
    updated_at = DateTimeField(default=clock.now)
    delivered_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("mobile_index", "created_at"), False),
            (("ip", "created_at"), False),
        )

    @property
    def masked_mobile(self):
        return pii.mask_mobile(self.mobile)

    @classmethod
    def handed_over(cls):
        """Messages the provider took (or is taking): all but those it refused outright."""
        return cls.select().where(~((cls.status == cls.FAILED) & cls.provider_sid.is_null()))

    @classmethod
    def codes_to(cls, mobile, since):
        """Code messages to this mobile number after a time, oldest first."""
        return cls.handed_over().where(
            cls.kind == cls.CODE, cls.mobile_index == mobile, cls.created_at > since
        )

    @classmethod
    def codes_from(cls, ip, since):
        """Code messages asked for from this client IP after a time."""
        return cls.handed_over().where(cls.kind == cls.CODE, cls.ip == ip, cls.created_at > since)

    @classmethod
    def all_since(cls, since):
        """Every message (codes and notices) after a time."""
        return cls.handed_over().where(cls.created_at > since)

    @classmethod
    def limit_reached_by(cls, query, limit):
        """When the limit-th newest message a query finds was created, or None when it finds
        fewer: a ceiling of `limit` holds until that message leaves its window, however many
        more were sent (one statement)."""
        newest = query.select(cls.created_at).order_by(cls.created_at.desc())
        return newest.limit(1).offset(limit - 1).scalar()
