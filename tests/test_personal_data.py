"""Personal data: encrypted at rest, found by blind index, masked on screen and in logs."""

import datetime
import io
import json
import logging
from pathlib import Path

import pytest
from peewee import SqliteDatabase

from tests.conftest import log_in
from webapp import pii
from webapp.identifiers import make_resident_id
from webapp.logs import scrub
from webapp.models import Account, AuditEvent, Customer

pytestmark = pytest.mark.database

# zhang.wei's KYC record and account, as seeded by the demo data.
ZHANG_ID = make_resident_id("110101", datetime.date(1988, 5, 12), 31)
ZHANG_ACCOUNT = "6222021001000012345"
ZHANG_MOBILE_E164 = "+8613800138000"
ZHANG_MOBILE = "13800138000"
FULL_VALUES = [ZHANG_ID, ZHANG_ACCOUNT, ZHANG_MOBILE]


def _rows(db_conn, table):
    """Every row of a table as the database holds it, without the ORM decrypting anything."""
    cursor = db_conn.execute_sql(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
    columns = [column[0] for column in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _leaks(rows, secrets):
    return [
        (column, value)
        for row in rows
        for column, value in row.items()
        for secret in secrets
        if value is not None and secret in str(value)
    ]


def _full_width(text):
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _id_ending_in_x():
    born = datetime.date(1990, 3, 7)
    for sequence in range(1000):
        number = make_resident_id("110101", born, sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no ID number with an X check character")


def test_raw_customer_row_holds_no_plaintext_id_number(db_conn):
    rows = _rows(db_conn, "customer")
    zhang = next(row for row in rows if row["username"] == "zhang.wei")
    assert zhang["id_number"] and zhang["id_number_index"]
    assert not _leaks(rows, [ZHANG_ID, ZHANG_ID[6:14]])
    # The ORM still reads it back, so the row really holds zhang.wei's number.
    assert Customer.get(Customer.username == "zhang.wei").id_number == ZHANG_ID


def test_raw_account_row_holds_no_plaintext_account_or_mobile_number(db_conn):
    rows = _rows(db_conn, "account")
    assert not _leaks(rows, [ZHANG_ACCOUNT, ZHANG_MOBILE, ZHANG_MOBILE_E164])
    account = Account.get(Account.number_index == ZHANG_ACCOUNT)
    assert (account.number, account.reserved_mobile) == (ZHANG_ACCOUNT, ZHANG_MOBILE_E164)


def test_audit_events_of_a_login_hold_no_full_identifiers(client, db_conn):
    assert log_in(client).status_code == 303
    client.get("/dashboard")
    assert AuditEvent.select().count() > 0
    assert not _leaks(_rows(db_conn, "audit_event"), FULL_VALUES + [ZHANG_MOBILE_E164])


def test_database_file_holds_no_plaintext_identifier_anywhere(db_conn):
    database = getattr(db_conn, "obj", db_conn)  # the database behind FlaskDB's proxy
    if not isinstance(database, SqliteDatabase):
        pytest.skip("reads the SQLite file itself")
    database.execute_sql("PRAGMA wal_checkpoint(FULL)")
    path = Path(database.database)
    contents = b"".join(
        candidate.read_bytes()
        for candidate in (path, path.with_name(path.name + "-wal"))
        if candidate.exists()
    )
    assert b"zhang.wei" in contents
    for value in FULL_VALUES:
        assert value.encode() not in contents


def test_same_value_encrypts_differently_but_indexes_the_same(db_conn):
    rows = [row for row in _rows(db_conn, "account") if row["reserved_mobile"] is not None]
    chen = Customer.get(Customer.username == "chen.jing")
    chen_rows = [row for row in rows if row["customer_id"] == chen.id]
    assert len(chen_rows) == 4
    assert len({row["reserved_mobile"] for row in chen_rows}) == 4
    assert len({row["reserved_mobile_index"] for row in chen_rows}) == 1


def test_customer_is_found_by_id_number(db_conn):
    assert Customer.by_id_number(ZHANG_ID).username == "zhang.wei"
    assert Customer.by_id_number(make_resident_id("110101", datetime.date(1988, 5, 12), 32)) is None


@pytest.mark.parametrize(
    "typed",
    [_full_width(ZHANG_ID), f" {ZHANG_ID[:6]} {ZHANG_ID[6:14]} {ZHANG_ID[14:]} ", ZHANG_ID.lower()],
    ids=["full-width", "spaced", "lower-case"],
)
def test_customer_is_found_by_id_number_as_typed(db_conn, typed):
    assert Customer.by_id_number(typed).username == "zhang.wei"


def test_id_number_with_lower_case_x_finds_the_customer(db_conn):
    number = _id_ending_in_x()
    Customer.create(username="x.test", password_hash="-", name="测试", id_number=number)
    assert Customer.by_id_number(number[:-1] + "x").username == "x.test"
    assert Customer.by_id_number(_full_width(number[:-1]) + "ｘ").username == "x.test"


def test_account_is_found_by_number_and_by_reserved_mobile(db_conn):
    assert Account.get(Account.number_index == _full_width(ZHANG_ACCOUNT)).number == ZHANG_ACCOUNT
    by_mobile = Account.select().where(Account.reserved_mobile_index == ZHANG_MOBILE_E164)
    assert [a.customer.username for a in by_mobile] == ["zhang.wei"]


@pytest.fixture
def keyring():
    """A known key for tests that need no database; the previous keys come back afterwards."""
    saved = (pii.keyring.fernet, pii.keyring.index_key)
    pii.configure("a-key-for-tests-that-need-no-database")
    yield pii.keyring
    pii.keyring.fernet, pii.keyring.index_key = saved


def test_blind_index_depends_on_kind_and_key(keyring):
    value = "6222021001000012345"
    assert pii.blind_index("account", value) != pii.blind_index("card", value)
    assert value not in pii.blind_index("account", value)
    before = pii.blind_index("account", value)
    pii.configure("another-key-entirely-for-this-test-only")
    assert pii.blind_index("account", value) != before


def test_tampered_ciphertext_raises(keyring):
    token = pii.encrypt(ZHANG_ID)
    middle = len(token) // 2
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    with pytest.raises(ValueError, match="failed authentication"):
        pii.decrypt(tampered)


def test_tampered_row_is_refused_when_read(db_conn):
    row = next(r for r in _rows(db_conn, "customer") if r["username"] == "zhang.wei")
    token = row["id_number"]
    tampered = token[:-10] + ("A" if token[-10] != "A" else "B") + token[-9:]
    db_conn.execute_sql(
        f"UPDATE customer SET id_number = {db_conn.param} WHERE id = {db_conn.param}",
        (tampered, row["id"]),
    )
    with pytest.raises(ValueError):
        Customer.get_by_id(row["id"]).id_number  # noqa: B018 - reading decrypts


def test_value_encrypted_under_another_key_cannot_be_read(keyring):
    token = pii.encrypt(ZHANG_ID)
    assert pii.decrypt(token) == ZHANG_ID
    pii.configure("another-key-entirely-for-this-test-only")
    with pytest.raises(ValueError):
        pii.decrypt(token)


@pytest.mark.parametrize(
    "mask, value, shown",
    [
        (pii.mask_id_number, "110101199003071234", "110101********1234"),
        (pii.mask_id_number, "11010119900307123x", "110101********123X"),
        (pii.mask_id_number, "１１０１０１１９９００３０７１２３４", "110101********1234"),
        (pii.mask_mobile, "+8613800138000", "138****8000"),
        (pii.mask_mobile, "13800138000", "138****8000"),
        (pii.mask_tail, "6222021001005678", "****5678"),
        (pii.mask_tail, "a1b2c3d4e", "****3D4E"),
        (pii.mask_name, "王小明", "王*明"),
        (pii.mask_name, "欧阳小明", "欧**明"),
        (pii.mask_name, "王明", "王*"),
        (pii.mask_name, "Zhang Wei", "Z**** W**"),
        (pii.mask_name, "Ali", "A*i"),
        (pii.mask_id_number, "", ""),
        (pii.mask_mobile, None, ""),
        (pii.mask_tail, "", ""),
        (pii.mask_name, "", ""),
    ],
)
def test_masking_shows_only_what_identifies_the_item(mask, value, shown):
    assert mask(value) == shown


def test_dashboard_shows_masked_values_only(customer):
    page = customer.get("/dashboard").get_data(as_text=True)
    assert "****2345" in page and "张*" in page
    for value in FULL_VALUES + ["张伟"]:
        assert value not in page


# Logs: whatever a request logs, the lines written hold no full identifier.


@pytest.fixture
def log_lines(app):
    """The JSON lines the app's configured log handler writes, collected in memory."""
    handler = logging.getLogger("webapp").handlers[0]
    assert handler is logging.getLogger("werkzeug").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    handler.setStream(previous)


def test_log_lines_of_a_login_and_dashboard_journey_hold_no_full_identifier(app, client, log_lines):
    @app.get("/test-only/careless/<path:value>")
    def careless(value):
        logging.getLogger("webapp.binding").warning(
            "no card for ID %s, account %s, mobile %s", value, ZHANG_ACCOUNT, ZHANG_MOBILE_E164
        )
        raise RuntimeError(f"lookup failed for {value} and {ZHANG_MOBILE}")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert log_in(client, username=ZHANG_MOBILE, password=ZHANG_ID).status_code == 200
    assert log_in(client).status_code == 303
    assert client.get("/dashboard").status_code == 200
    response = client.get(f"/test-only/careless/{ZHANG_ID}")
    assert response.status_code == 500
    logging.getLogger("werkzeug").info('"GET /?id=%s HTTP/1.1" 200 -', ZHANG_ID)

    lines = log_lines()
    text = json.dumps(lines, ensure_ascii=False)
    assert any("Traceback" in line.get("exception", "") for line in lines)
    assert any(line["request_id"] == response.headers["X-Request-Id"] for line in lines)
    for value in FULL_VALUES + [ZHANG_MOBILE_E164, ZHANG_ID[:14]]:
        assert value not in text
    assert ZHANG_ID[-4:] in text and ZHANG_MOBILE[-4:] in text


@pytest.mark.parametrize(
    "text",
    [
        f"ID {ZHANG_ID}.",
        f"ID {ZHANG_ID.lower()}",
        f"ID={_id_ending_in_x()}",
        f"account:{ZHANG_ACCOUNT}",
        f"mobile {ZHANG_MOBILE_E164}",
        f"mobile 86{ZHANG_MOBILE}",
        f"mobile ({ZHANG_MOBILE})",
        f"card 9{ZHANG_ACCOUNT}",
        f"mobile {ZHANG_MOBILE[:3]} {ZHANG_MOBILE[3:7]} {ZHANG_MOBILE[7:]}",
        f"mobile {ZHANG_MOBILE[:3]}-{ZHANG_MOBILE[3:7]}-{ZHANG_MOBILE[7:]}",
        f"account {' '.join(ZHANG_ACCOUNT[i : i + 4] for i in range(0, len(ZHANG_ACCOUNT), 4))}",
    ],
)
def test_scrubber_masks_identifiers_in_any_log_text(text):
    scrubbed = scrub(text)
    assert scrubbed != text
    digits = "".join(c for c in scrubbed if c.isdigit())
    assert len(digits) <= 4


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        ("customer read card M31452876 out", "customer read card *****2876 out"),
        ("card m31452876.", "card *****2876."),
        ("card 314528760 lost", "card *****8760 lost"),
        # Not card numbers: references, receipts, ordinary words and short numbers stay.
        ("re SSB-7K3M9QXD and SSP-4VW2345678", "re SSB-7K3M9QXD and SSP-4VW2345678"),
        ("CUSTOMERS called twice on 2026-11-27", "CUSTOMERS called twice on 2026-11-27"),
    ],
)
def test_scrubber_masks_card_numbers_in_notes(text, scrubbed):
    assert scrub(text) == scrubbed


def test_every_response_has_its_own_random_request_id(client):
    ids = [client.get("/healthz").headers["X-Request-Id"] for _ in range(700)]  # > one batch
    assert len(set(ids)) == len(ids)
    assert all(len(found) == 16 and int(found, 16) >= 0 for found in ids)
