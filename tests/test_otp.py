"""The one-time-code policy: every number of SPEC 3.1 at its boundary."""

import datetime
import re
import threading
from types import SimpleNamespace

import pytest

from webapp import otp, sms
from webapp.extensions import db
from webapp.models import (
    Account,
    AuditEvent,
    Challenge,
    Customer,
    SmsMessage,
    VerificationSubject,
)

pytestmark = pytest.mark.database

SUBJECT = "application:SSB-7K3M9QXD"
CARD = "K90001234"
HOST = "bank.example"
TERMS = otp.terms(card=CARD, account="6222020000002345")
CODE_LINE = re.compile(r"^@bank\.example #(\d{6})$")
AGENT = SimpleNamespace(actor_kind="agent", id=7, username="agent.li")


@pytest.fixture
def context(app, db_conn, frozen):
    """An app context on the test database, with the clock standing still."""
    frozen.at = datetime.datetime(2026, 3, 2, 9, 0, 0)
    with app.app_context():
        yield frozen


@pytest.fixture
def zhang(context):
    return Customer.get(Customer.username == "zhang.wei")


def send(customer, subject=SUBJECT, purpose="bind", mobile=None, ip="203.0.113.7"):
    """Ask for a code as the wizard would; returns (challenge, code as the SMS showed it)."""
    account = Account.of(customer).first()
    challenge = otp.issue(
        customer=customer,
        purpose=purpose,
        subject=subject,
        mobile=mobile or account.reserved_mobile,
        ip=ip,
        card_tail=CARD,
        account_tail=account.number,
        locale="en",
        host=HOST,
        terms=TERMS,
    )
    return challenge, code_in(sms.outbox()[0].text)


def code_in(text):
    """The code from a message's last line (@host #code)."""
    return CODE_LINE.match(text.splitlines()[-1]).group(1)


def enter(customer, challenge, code, purpose="bind", subject=SUBJECT, terms=TERMS):
    return otp.check(
        customer=customer,
        purpose=purpose,
        subject=subject,
        challenge_id=challenge.public_id,
        code=code,
        terms=terms,
    )


def wrong(code):
    """A code that is certainly not this one."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def refused(reason, **kwargs):
    """Expect issue() to refuse for this reason; returns the refusal."""
    with pytest.raises(otp.Refused) as refusal:
        send(**kwargs)
    assert refusal.value.reason == reason
    return refusal.value


def actions():
    return [(e.action, e.outcome) for e in AuditEvent.select().order_by(AuditEvent.id)]


def test_a_code_is_six_digits_valid_five_minutes_and_stored_only_as_a_keyed_hash(zhang, context):
    challenge, code = send(zhang)
    assert re.fullmatch(r"\d{6}", code)
    stored = Challenge.get(Challenge.public_id == challenge.public_id)
    assert stored.status == "active"
    assert stored.masked_mobile == "138****8000"
    assert stored.expires_at - stored.created_at == datetime.timedelta(minutes=5)
    assert re.fullmatch(r"[0-9a-f]{64}", stored.code_hash)
    assert code not in stored.code_hash
    assert ("otp.issued", "ok") in actions()


def test_the_right_code_verifies_once_and_a_reused_code_gives_used(zhang):
    challenge, code = send(zhang)
    assert enter(zhang, challenge, code).outcome == "ok"
    again = enter(zhang, challenge, code)
    assert again.outcome == "used"
    assert Challenge.get_by_id(challenge.id).status == "used"


def test_a_code_typed_with_spaces_or_full_width_digits_still_verifies(zhang):
    challenge, code = send(zhang)
    typed = " ".join(chr(0xFF10 + int(digit)) for digit in code)
    assert enter(zhang, challenge, typed).outcome == "ok"


def test_the_fourth_wrong_entry_leaves_the_code_alive_and_the_fifth_kills_it(zhang):
    challenge, code = send(zhang)
    for left in (4, 3, 2, 1):
        result = enter(zhang, challenge, wrong(code))
        assert (result.outcome, result.attempts_left) == ("wrong", left)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).attempts_left == 1
    fifth = enter(zhang, challenge, wrong(code))
    assert (fifth.outcome, fifth.attempts_left) == ("dead", 0)
    assert enter(zhang, challenge, code).outcome == "dead"
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).challenge is None


def test_a_code_is_valid_at_four_minutes_fifty_nine_and_expired_at_five(zhang, context):
    first, first_code = send(zhang, subject="application:SSB-AAAAAAAA")
    second, second_code = send(zhang, subject="application:SSB-BBBBBBBB")
    context.advance(minutes=4, seconds=59)
    assert enter(zhang, first, first_code, subject="application:SSB-AAAAAAAA").outcome == "ok"
    context.advance(seconds=1)
    late = enter(zhang, second, second_code, subject="application:SSB-BBBBBBBB")
    assert late.outcome == "expired"


def test_a_new_code_kills_the_previous_one(zhang, context):
    old, old_code = send(zhang)
    context.advance(seconds=60)
    new, new_code = send(zhang)
    assert enter(zhang, old, old_code).outcome == "replaced"
    assert Challenge.get_by_id(old.id).status == "superseded"
    assert enter(zhang, new, new_code).outcome == "ok"


def test_resend_is_refused_at_second_59_and_allowed_at_60(zhang, context):
    first, _code = send(zhang)
    context.advance(seconds=59)
    refusal = refused("cooldown", customer=zhang)
    assert refusal.retry_at == first.created_at + datetime.timedelta(seconds=60)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).resend_at == refusal.retry_at
    context.advance(seconds=1)
    send(zhang)
    assert ("otp.refused", "cooldown") in actions()


def test_the_cooldown_is_per_purpose(zhang):
    send(zhang, purpose="bind")
    send(zhang, purpose="unbind")


def test_the_sixth_code_for_a_subject_is_refused_and_locks_it_for_thirty_minutes(zhang, context):
    for _ in range(5):
        last, last_code = send(zhang)
        context.advance(seconds=60)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).codes_left == 0
    # While the fifth code still works, asking again is refused and locks nothing.
    assert refused("last_code", customer=zhang).retry_at == last.expires_at
    context.advance(minutes=4)
    refusal = refused("codes_used_up", customer=zhang)
    assert refusal.retry_at == context.at + datetime.timedelta(minutes=30)
    assert (
        otp.state(subject=SUBJECT, purpose="bind", customer=zhang).locked_until == refusal.retry_at
    )
    context.advance(minutes=29, seconds=59)
    assert refused("locked", customer=zhang).retry_at == refusal.retry_at
    context.advance(seconds=1)
    send(zhang)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).codes_left == 4
    assert ("otp.locked", "codes_used_up") in actions()


def test_the_last_code_still_verifies_after_asking_for_another(zhang, context):
    for _ in range(5):
        last, last_code = send(zhang)
        context.advance(seconds=60)
    refused("last_code", customer=zhang)
    assert enter(zhang, last, last_code).outcome == "ok"


def test_a_code_for_another_purpose_subject_or_customer_is_missing(zhang):
    challenge, code = send(zhang)
    wang = Customer.get(Customer.username == "wang.fang")
    assert enter(zhang, challenge, code, purpose="pay").outcome == "missing"
    assert enter(zhang, challenge, code, subject="application:SSB-OTHER000").outcome == "missing"
    assert enter(wang, challenge, code).outcome == "missing"
    unknown = SimpleNamespace(public_id="no-such-challenge")
    assert enter(zhang, unknown, code).outcome == "missing"
    # None of those attempts counted against the real code.
    assert enter(zhang, challenge, code).outcome == "ok"


def test_a_code_proves_only_the_terms_its_text_named(zhang):
    challenge, code = send(zhang)
    other_account = otp.terms(card=CARD, account="6222020000009999")
    other_card = otp.terms(card="K90009999", account="6222020000002345")
    for terms in (other_account, other_card):
        result = enter(zhang, challenge, code, terms=terms)
        assert result.outcome == "wrong"
    assert Challenge.get_by_id(challenge.id).attempts == 2
    # The terms are the same however they are named.
    same = otp.terms(account="6222020000002345", card=CARD)
    assert enter(zhang, challenge, code, terms=same).outcome == "ok"


def test_ten_wrong_entries_across_codes_lock_the_subject_for_thirty_minutes(zhang, context):
    first, first_code = send(zhang)
    for _ in range(5):
        enter(zhang, first, wrong(first_code))
    context.advance(seconds=60)
    second, second_code = send(zhang)
    for _ in range(4):
        assert enter(zhang, second, wrong(second_code)).outcome == "wrong"
    tenth = enter(zhang, second, wrong(second_code))
    locked_until = context.at + datetime.timedelta(minutes=30)
    assert (tenth.outcome, tenth.locked_until) == ("locked", locked_until)
    assert enter(zhang, second, second_code).outcome == "locked"
    assert refused("locked", customer=zhang).retry_at == locked_until
    state = otp.state(subject=SUBJECT, purpose="bind", customer=zhang)
    assert (state.locked_until, state.challenge) == (locked_until, None)
    context.advance(minutes=29, seconds=59)
    refused("locked", customer=zhang)
    context.advance(seconds=1)
    third, third_code = send(zhang)
    assert enter(zhang, third, third_code).outcome == "ok"
    assert ("otp.locked", "wrong_entries") in actions()


def test_attempts_left_count_down_to_the_lock_when_it_comes_before_the_code_dies(zhang, context):
    first, first_code = send(zhang)
    for _ in range(4):
        enter(zhang, first, wrong(first_code))
    context.advance(seconds=60)
    second, second_code = send(zhang)
    for _ in range(2):
        result = enter(zhang, second, wrong(second_code))
    assert (result.attempts_left, result.lock_follows) == (3, False)
    context.advance(seconds=60)
    third, third_code = send(zhang)
    state = otp.state(subject=SUBJECT, purpose="bind", customer=zhang)
    assert (state.attempts_left, state.lock_follows) == (4, True)
    for left in (3, 2, 1):
        result = enter(zhang, third, wrong(third_code))
        assert (result.outcome, result.attempts_left, result.lock_follows) == ("wrong", left, True)
    assert enter(zhang, third, wrong(third_code)).outcome == "locked"


def test_a_lock_holds_for_the_customer_on_every_subject_until_it_ends_or_is_lifted(zhang, context):
    other = "application:SSB-NEWONE22"
    paying, paying_code = send(zhang, subject="payment:RM-2026", purpose="pay")
    for _code in range(2):
        challenge, code = send(zhang)
        for _ in range(5):
            enter(zhang, challenge, wrong(code))
        context.advance(seconds=60)
    locked_until = context.at - datetime.timedelta(seconds=60) + datetime.timedelta(minutes=30)
    # A new application, or a code already sent for something else, is no way round it.
    assert refused("locked", customer=zhang, subject=other).retry_at == locked_until
    outcome = enter(zhang, paying, paying_code, purpose="pay", subject="payment:RM-2026")
    assert (outcome.outcome, outcome.locked_until) == ("locked", locked_until)
    state = otp.state(subject=other, purpose="bind", customer=zhang.id)
    assert state.locked_until == locked_until
    # Another customer is not touched.
    liu = Customer.get(Customer.username == "liu.yang")
    send(liu, subject="application:SSB-LIUYANG1")
    otp.unlock(subject=SUBJECT, agent=AGENT, reason="Customer called")
    assert otp.state(subject=other, purpose="bind", customer=zhang).locked_until is None
    send(zhang, subject=other)


def test_an_agent_unlocks_a_locked_subject_and_its_counts_start_afresh(zhang, context):
    for _ in range(5):
        send(zhang)
        context.advance(seconds=60)
    context.advance(minutes=4)  # the last code has expired
    refused("codes_used_up", customer=zhang)
    otp.unlock(subject=SUBJECT, agent=AGENT, reason="Customer called, identity checked")
    challenge, code = send(zhang)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).codes_left == 4
    assert enter(zhang, challenge, code).outcome == "ok"
    event = AuditEvent.get(AuditEvent.action == "otp.unlocked")
    assert (event.actor_kind, event.actor_name, event.customer_id) == (
        "agent",
        "agent.li",
        zhang.id,
    )
    assert event.details["reason"] == "Customer called, identity checked"


def test_unlocking_a_subject_that_is_not_locked_is_refused(zhang):
    send(zhang)
    with pytest.raises(otp.NotLocked):
        otp.unlock(subject=SUBJECT, agent=AGENT, reason="Customer asked")
    assert not AuditEvent.select().where(AuditEvent.action == "otp.unlocked").exists()


def test_the_eleventh_code_sms_to_one_mobile_in_24_hours_is_refused(zhang, context):
    wang = Customer.get(Customer.username == "wang.fang")
    for number in range(10):
        # Different subjects, purposes and customers: the limit is the mobile number's.
        who = zhang if number % 2 else wang
        purpose = otp.PURPOSES[number % 4]
        send(
            who,
            subject=f"application:SSB-MOBILE{number:02d}",
            purpose=purpose,
            mobile="+8613800138000",
            ip=f"198.51.100.{number}",
        )
    refusal = refused("mobile_limit", customer=zhang, subject="application:SSB-MOBILE10")
    assert refusal.retry_at == context.at + datetime.timedelta(hours=24)
    # Another number is not affected.
    send(zhang, subject="application:SSB-MOBILE11", mobile="+8613900139000")
    context.advance(hours=23, minutes=59, seconds=59)
    refused("mobile_limit", customer=zhang, subject="application:SSB-MOBILE12")
    context.advance(seconds=1)
    send(zhang, subject="application:SSB-MOBILE13")


def test_the_state_says_when_the_mobile_numbers_daily_limit_holds_new_codes(zhang, context):
    mobile = Account.of(zhang).first().reserved_mobile

    def held(mobile=None):
        return otp.state(
            subject="application:SSB-MOBILE99", purpose="bind", customer=zhang, mobile=mobile
        ).held

    for number in range(9):
        send(zhang, subject=f"application:SSB-MOBILE{number:02d}", ip=f"198.51.100.{number}")
        context.advance(minutes=1)
    assert held(mobile) is None
    send(zhang, subject="application:SSB-MOBILE09", ip="198.51.100.9")
    assert held(mobile).reason == "mobile_limit"
    # Asking again succeeds a day after the first of the ten.
    assert held(mobile).retry_at == context.at + datetime.timedelta(hours=24, minutes=-9)
    assert held() is None  # a page that does not say where codes go is not told
    assert held("+8613900139000") is None


def test_a_code_still_active_from_before_the_counts_restarted_is_still_offered(zhang, context):
    # A code whose send was still under way when a lock ended the others, and which an agent's
    # unlock (counting afresh from then) left working.
    challenge, code = send(zhang)
    context.advance(minutes=2)
    VerificationSubject.update(counted_since=context.at).where(
        VerificationSubject.subject == SUBJECT
    ).execute()
    state = otp.state(subject=SUBJECT, purpose="bind", customer=zhang)
    assert state.challenge.public_id == challenge.public_id
    assert state.codes_left == 5 and state.resend_at is None
    assert enter(zhang, challenge, code).outcome == "ok"


def test_of_a_wait_and_a_limit_the_later_is_given(zhang, context):
    send(zhang)
    for number in range(9):
        send(zhang, subject=f"application:SSB-OTHER{number}", ip=f"198.51.100.{number}")
    context.advance(seconds=10)
    refusal = refused("mobile_limit", customer=zhang)
    assert refusal.retry_at == context.at + datetime.timedelta(hours=24, seconds=-10)


def test_the_daily_limit_is_not_said_where_asking_would_meet_something_else(zhang, context):
    mobile = Account.of(zhang).first().reserved_mobile
    for number in range(5):
        send(zhang, ip=f"198.51.100.{number}")
        context.advance(seconds=61)
    for number in range(5):
        send(zhang, subject=f"application:SSB-OTHER{number}", ip=f"198.51.100.{number + 5}")

    def state():
        return otp.state(subject=SUBJECT, purpose="bind", customer=zhang, mobile=mobile)

    # The last code the customer may ask for still works: nothing to ask for.
    assert state().codes_left == 0 and state().challenge and state().held is None
    # It has expired: asking would lock verification, and the page says that instead.
    context.advance(minutes=5)
    assert state().challenge is None and state().held is None
    refused("codes_used_up", customer=zhang)
    # Locked: the page gives the lock's message.
    assert state().locked_until and state().held is None


def test_the_twenty_first_code_sms_from_one_ip_in_an_hour_is_refused(zhang, context):
    for number in range(20):
        send(zhang, subject=f"application:SSB-IP{number:06d}", mobile=f"+86138000{number:05d}")
    refusal = refused(
        "ip_limit", customer=zhang, subject="application:SSB-IP999999", mobile="+8613700137000"
    )
    assert refusal.retry_at == context.at + datetime.timedelta(hours=1)
    send(zhang, subject="application:SSB-IP888888", mobile="+8613700137000", ip="192.0.2.1")
    context.advance(hours=1)
    send(zhang, subject="application:SSB-IP999999", mobile="+8613700137000")


def test_the_global_ceiling_pauses_every_sms_and_counts_notices(zhang, app, context):
    app.config["SMS_GLOBAL_PER_MINUTE"] = 3
    send(zhang, subject="application:SSB-GLOBAL01", mobile="+8613800000001", ip="192.0.2.1")
    send(zhang, subject="application:SSB-GLOBAL02", mobile="+8613800000002", ip="192.0.2.2")
    sms.send_notice(customer=zhang, mobile="+8613800000003", text="Card ****1234 was bound.")
    refusal = refused(
        "global_limit",
        customer=zhang,
        subject="application:SSB-GLOBAL03",
        mobile="+8613800000004",
        ip="192.0.2.4",
    )
    assert refusal.retry_at == context.at + datetime.timedelta(minutes=1)
    context.advance(seconds=60)
    send(zhang, subject="application:SSB-GLOBAL03", mobile="+8613800000004", ip="192.0.2.4")


def test_a_ceiling_lowered_below_what_was_sent_holds_until_enough_have_left_its_window(
    zhang, app, context
):
    # Five messages 10 seconds apart, then the ceiling is lowered to 3 (the operators' setting).
    for number in range(5):
        send(zhang, subject=f"application:SSB-LOWER{number:02d}", mobile=f"+861380000000{number}")
        context.advance(seconds=10)
    app.config["SMS_GLOBAL_PER_MINUTE"] = 3
    # Sending is possible again when fewer than 3 remain in the last minute: once the third
    # newest (sent at +20 s) is a minute old, not the oldest (sent at 0 s).
    refusal = refused("global_limit", customer=zhang, subject="application:SSB-LOWER99")
    assert refusal.retry_at == context.at + datetime.timedelta(seconds=30)
    context.advance(seconds=29)
    refused("global_limit", customer=zhang, subject="application:SSB-LOWER99")
    context.advance(seconds=1)
    send(zhang, subject="application:SSB-LOWER99", mobile="+8613800000099")
    # A ceiling of 0 stops sending for a whole window from now.
    app.config["SMS_GLOBAL_PER_MINUTE"] = 0
    refusal = refused("global_limit", customer=zhang, subject="application:SSB-LOWER98")
    assert refusal.retry_at == context.at + datetime.timedelta(minutes=1)


def test_only_a_replaced_code_of_the_same_request_is_an_earlier_one(zhang, context, monkeypatch):
    codes = iter(range(111111, 999999, 111111))  # distinct codes, so no two can be confused
    monkeypatch.setattr(otp.secrets, "randbelow", lambda _n: next(codes))
    other_subject = "application:SSB-OTHER001"
    # Another customer's code for the same request, replaced by zhang.wei's first.
    wang = Customer.get(Customer.username == "wang.fang")
    _, wangs_code = send(wang, ip="192.0.2.8")
    context.advance(seconds=60)
    first, first_code = send(zhang)
    _, other_purpose_code = send(zhang, purpose="change_account")
    _, other_subject_code = send(zhang, subject=other_subject, ip="192.0.2.9")
    context.advance(seconds=60)
    # Each of them is replaced by a newer code of its own subject and purpose.
    current, current_code = send(zhang)
    send(zhang, purpose="change_account")
    send(zhang, subject=other_subject, ip="192.0.2.9")

    def wrong_entries():
        return VerificationSubject.get(VerificationSubject.subject == SUBJECT).wrong_entries

    earlier = enter(zhang, current, first_code)
    assert (earlier.outcome, earlier.attempts_left) == ("earlier", 5)
    assert wrong_entries() == 0 and Challenge.get_by_id(current.id).attempts == 0
    # A replaced code of another purpose or another request is just wrong, and counted.
    assert enter(zhang, current, other_purpose_code).outcome == "wrong"
    assert enter(zhang, current, other_subject_code).outcome == "wrong"
    assert enter(zhang, current, wangs_code).outcome == "wrong"
    assert wrong_entries() == 3
    # Once it would have expired anyway, the earlier code is wrong too.
    context.advance(minutes=4, seconds=1)  # the first code's five minutes are over
    assert enter(zhang, current, first_code).outcome == "wrong"
    assert wrong_entries() == 4 and Challenge.get_by_id(current.id).attempts == 4
    assert enter(zhang, current, current_code).outcome == "ok"


def test_notices_do_not_count_against_the_code_limits(zhang):
    for _ in range(12):
        sms.send_notice(customer=zhang, mobile="+8613800138000", text="Card ****1234 was bound.")
    send(zhang)


def test_state_shows_the_page_where_the_customer_stands(zhang, context):
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang) == otp.VerificationState(
        challenge=None,
        masked_mobile="",
        expires_at=None,
        attempts_left=0,
        resend_at=None,
        codes_left=5,
        locked_until=None,
    )
    challenge, code = send(zhang)
    enter(zhang, challenge, wrong(code))
    context.advance(seconds=10)
    state = otp.state(subject=SUBJECT, purpose="bind", customer=zhang)
    assert state.challenge.public_id == challenge.public_id
    assert state.masked_mobile == "138****8000"
    assert state.expires_at == challenge.created_at + datetime.timedelta(minutes=5)
    assert state.attempts_left == 4
    assert state.resend_at == challenge.created_at + datetime.timedelta(seconds=60)
    assert state.codes_left == 4
    context.advance(minutes=5)
    assert otp.state(subject=SUBJECT, purpose="bind", customer=zhang).challenge is None


def test_check_joins_the_callers_transaction(zhang):
    challenge, code = send(zhang)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), db.database.atomic():
        assert enter(zhang, challenge, code).outcome == "ok"
        raise Abandoned
    # The caller rolled back, so the code was not consumed.
    assert enter(zhang, challenge, code).outcome == "ok"


def test_two_simultaneous_correct_submissions_give_exactly_one_ok(app, zhang):
    challenge, code = send(zhang)
    db.database.close()
    start = threading.Barrier(2)
    outcomes = []

    def submit():
        with app.app_context():
            db.database.connect(reuse_if_open=True)
            try:
                start.wait(timeout=10)
                with db.database.atomic():
                    outcomes.append(enter(zhang, challenge, code).outcome)
            finally:
                db.database.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "used"]
    assert Challenge.get_by_id(challenge.id).status == "used"


def test_a_refused_request_sends_nothing(zhang, context):
    send(zhang)
    refused("cooldown", customer=zhang)
    assert len(sms.outbox()) == 1
    assert SmsMessage.select().count() == 1
    assert Challenge.select().count() == 1
