"""A generated data set: customers with an account and a registry card, their applications with
audit events, and the bindings the bound ones made.

Rows are built as tuples in each table's column order and written by COPY (PostgreSQL) or by
executemany (SQLite). Personal data is encrypted with the run's PII key and every blind index is
the real HMAC of a distinct, valid identifier, so lookups by them are real lookups. Customer n's
identifiers follow from n, so the benchmarks can pick a customer and know what to search for.
"""

import datetime
import io
import multiprocessing

from peewee import PostgresqlDatabase

from webapp import agreement, pii, sign_in
from webapp.identifiers import make_resident_id
from webapp.models import Account, Application, AuditEvent, Binding, Customer
from webapp.models.binding import REFERENCE_ALPHABET
from webapp.registry.local import RegistryCard

APPLICATIONS_PER_CUSTOMER = 4
REGIONS = ("110101", "310104", "440305", "330106", "510107", "420106", "320102")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰")
# References look random but are a bijection of the application's number: n * MULTIPLIER is
# a permutation of the 31^8 references because MULTIPLIER shares no factor with 31.
REFERENCE_SPACE = len(REFERENCE_ALPHABET) ** 8
REFERENCE_MULTIPLIER = 2_654_435_761
PASSWORD = "Bench-2026"
CUSTOMERS_PER_CHUNK = 10_000

COLUMNS = {
    "customer": (
        "id username password_hash name id_number id_number_index failed_logins locked_until "
        "created_at"
    ),
    "account": (
        "id customer_id number number_index kind currency status balance_fen reserved_mobile "
        "reserved_mobile_index label"
    ),
    "registry_card": (
        "id number number_index holder_name id_number id_number_index region status updated_at"
    ),
    "application": (
        "id reference customer_id purpose status step full_name id_number id_number_index "
        "card_number card_number_index region account_id replaces_id agreement_version "
        "agreement_language agreement_sha256 consented_at consent_ip consent_user_agent failure "
        "created_at updated_at submitted_at closed_at"
    ),
    "binding": (
        "id customer_id card_number card_number_index region account_id application_id status "
        "bound_at ended_at end_reason"
    ),
    "audit_event": (
        "id at actor_kind actor_id actor_name action outcome customer_id subject detail "
        "request_id ip"
    ),
}
# Parents before children, so each chunk satisfies the foreign keys as it lands.
TABLES = tuple(COLUMNS)
MODELS = {
    "customer": Customer,
    "account": Account,
    "registry_card": RegistryCard,
    "application": Application,
    "binding": Binding,
    "audit_event": AuditEvent,
}
CLOSING_ACTION = {
    "bound": "binding.created",
    "cancelled": "application.cancelled",
    "expired": "application.expired",
    "draft": "application.card_details_saved",
}


def reference(number):
    """The public reference of generated application number `number`."""
    value = (number * REFERENCE_MULTIPLIER + 7) % REFERENCE_SPACE
    letters = []
    for _ in range(8):
        value, digit = divmod(value, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[digit])
    return "SSB-" + "".join(letters)


def id_number(n):
    """Customer n's resident ID number: valid checksum, real region, distinct for every n."""
    rest = n // len(REGIONS)
    born = datetime.date(1990, 1, 1) + datetime.timedelta(days=rest // 1000)
    return make_resident_id(REGIONS[n % len(REGIONS)], born, rest % 1000)


def mobile(n):
    """Customer n's reserved mobile number in E.164 (a valid China Mobile number)."""
    return f"+86139{n:08d}"


def card_number(n):
    """Customer n's social security card number (9 upper-case letters or digits)."""
    return f"B{n:08d}"


def account_number(n):
    """Customer n's debit account number."""
    return f"6222029{n:012d}"


def application_statuses(n, bound):
    """The statuses of customer n's applications, oldest first; the last decides the binding."""
    closed = ["cancelled" if (n + j) % 3 else "expired" for j in range(APPLICATIONS_PER_CUSTOMER)]
    if n < bound:
        closed[-1] = "bound"
    elif n % 4 == 0:
        closed[-1] = "draft"
    return closed


class Generator:
    """Builds the rows of customers [0, customers), ids starting after the existing rows."""

    def __init__(self, customers, bound, first_ids, extras=None):
        self.customers = customers
        self.bound = bound
        self.first = first_ids
        self.extras = extras or {}
        self.password_hash = sign_in.hash_password(PASSWORD)
        self.agreement_sha256 = agreement.digest("zh")
        self.epoch = datetime.datetime(2025, 1, 1)

    def chunks(self):
        """Yield {table: [rows]} for each run of CUSTOMERS_PER_CHUNK customers."""
        for start in range(0, self.customers, CUSTOMERS_PER_CHUNK):
            yield self.chunk(start)

    def chunk(self, start):
        """{table: [rows]} for the customers from `start` on."""
        rows = {table: [] for table in TABLES}
        for n in range(start, min(start + CUSTOMERS_PER_CHUNK, self.customers)):
            self._customer(n, rows)
        for table, extra in self.extras.items():
            values = tuple(value for _column, value in extra)
            rows[table] = [row + values for row in rows[table]]
        return rows

    def columns(self, table):
        """The columns a table's rows fill, in order."""
        return COLUMNS[table].split() + [column for column, _value in self.extras.get(table, ())]

    def copy_text(self, start):
        """{table: (COPY text, row count)} for the customers from `start` on.

        No generated value holds a tab, a newline or a backslash, so str() is COPY's text format.
        """
        return {
            table: (
                "".join(
                    "\t".join("\\N" if value is None else str(value) for value in row) + "\n"
                    for row in rows
                ),
                len(rows),
            )
            for table, rows in self.chunk(start).items()
        }

    def _customer(self, n, rows):
        first = self.first
        customer_id, account_id = first["customer"] + n, first["account"] + n
        ric, card, phone, number = id_number(n), card_number(n), mobile(n), account_number(n)
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]
        enc_id, enc_card = pii.encrypt(ric), pii.encrypt(card)
        ric_index, card_index = pii.blind_index("ric", ric), pii.blind_index("card", card)
        region = REGIONS[n % len(REGIONS)]
        joined = self._time(n * 10)
        rows["customer"].append(
            (customer_id, f"bench.{n:07d}", self.password_hash, name, enc_id, ric_index, 0, None)
            + (joined,)
        )
        rows["account"].append(
            (account_id, customer_id, pii.encrypt(number), pii.blind_index("account", number))
            + ("debit", "CNY", "active", 100_000 + n, pii.encrypt(phone))
            + (pii.blind_index("mobile", phone), "")
        )
        rows["registry_card"].append(
            (first["registry_card"] + n, enc_card, card_index, name, enc_id, ric_index, region)
            + ("active", joined)
        )
        for j, status in enumerate(application_statuses(n, self.bound)):
            number_of_app = n * APPLICATIONS_PER_CUSTOMER + j
            application_id = first["application"] + number_of_app
            created = self._time(n * 10 + j * 2)
            finished = self._time(n * 10 + j * 2 + 1)
            bound = status == "bound"
            ref = reference(number_of_app)
            signed = (agreement.VERSION, "zh", self.agreement_sha256) if bound else (None,) * 3
            consent = (finished, "", "bench") if bound else (None,) * 3
            closed_at = None if status == "draft" else finished
            rows["application"].append(
                (application_id, ref, customer_id, "bind", status, 5 if bound else 3, name)
                + (enc_id, ric_index, enc_card, card_index, region, account_id, None)
                + signed
                + consent
                + (None, created, finished, finished if bound else None, closed_at)
            )
            if bound:
                rows["binding"].append(
                    (first["binding"] + n, customer_id, enc_card, card_index, region, account_id)
                    + (application_id, "active", finished, None, None)
                )
            for k, (at, action) in enumerate(
                ((created, "application.started"), (finished, CLOSING_ACTION[status]))
            ):
                rows["audit_event"].append(
                    (first["audit_event"] + number_of_app * 2 + k, at, "customer", customer_id)
                    + (f"bench.{n:07d}", action, "ok", customer_id, ref, "{}", "", "")
                )

    def _time(self, seconds):
        return (self.epoch + datetime.timedelta(seconds=seconds)).isoformat(" ")


def extra_columns(database):
    """{table: [(column, value)]} for required columns added after this generator was written:
    each gets its model field's default, so a new column does not stop the benchmarks."""
    extras = {}
    for table, model in MODELS.items():
        known = set(COLUMNS[table].split())
        for column in database.get_columns(table):
            field = model._meta.columns.get(column.name)
            if column.name in known or column.null or field is None:
                continue
            value = field.default() if callable(field.default) else field.default
            extras.setdefault(table, []).append((column.name, field.db_value(value)))
    return extras


def first_ids(database):
    """For each table, the first id after the rows already there (the demo personas)."""
    return {
        table: (database.execute_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]) + 1
        for table in TABLES
    }


def load(database, customers, bound):
    """Generate and write the data set; returns the first ids and the row counts per table."""
    first = first_ids(database)
    generator = Generator(customers, bound, first, extra_columns(database))
    counts = dict.fromkeys(TABLES, 0)
    # FlaskDB hands out a Proxy; the database behind it says which way rows go in fastest.
    if isinstance(getattr(database, "obj", database), PostgresqlDatabase):
        _load_postgres(database, generator, counts)
    else:
        for chunk in generator.chunks():
            with database.atomic():
                for table in TABLES:
                    _insert(database, table, generator.columns(table), chunk[table])
                    counts[table] += len(chunk[table])
    if isinstance(getattr(database, "obj", database), PostgresqlDatabase):
        # As a maintained database would be: statistics fresh, visibility map set, and no
        # autovacuum of a million new rows running while the lookups are timed.
        for table in TABLES:
            database.execute_sql(f"VACUUM (ANALYZE) {table}")
    else:
        database.execute_sql("ANALYZE")
    return first, counts


def _load_postgres(database, generator, counts):
    """COPY the chunks in while two worker processes build the next ones (one per core)."""
    database.execute_sql("SET synchronous_commit = off")
    database.execute_sql("SET maintenance_work_mem = '256MB'")
    # Sorting once to build an index beats a million random inserts into a large B-tree.
    indexes = database.execute_sql(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN %s "
        "AND indexname NOT LIKE '%%_pkey'",
        (TABLES,),
    ).fetchall()
    for name, _definition in indexes:
        database.execute_sql(f"DROP INDEX {name}")
    starts = range(0, generator.customers, CUSTOMERS_PER_CHUNK)
    # fork: the workers inherit the configured PII key and the one password hash.
    with multiprocessing.get_context("fork").Pool(2) as pool:
        for chunk in pool.imap(generator.copy_text, starts):
            with database.atomic():
                for table in TABLES:
                    text, rows = chunk[table]
                    columns = ", ".join(generator.columns(table))
                    database.cursor().copy_expert(
                        f"COPY {table} ({columns}) FROM STDIN", io.StringIO(text)
                    )
                    counts[table] += rows
    for _name, definition in indexes:
        database.execute_sql(definition)
    for table in TABLES:
        database.execute_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
        )


def _insert(database, table, columns, rows):
    marks = ", ".join("?" * len(columns))
    database.cursor().executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
    )
