"""Importing registry cards from CSV: every row checked, nothing half-imported."""

import csv

from webapp import identifiers, logs
from webapp.extensions import db
from webapp.registry import CARD_STATUSES, REGIONS
from webapp.registry.local import put_card

COLUMNS = ("card_number", "holder_name", "id_number", "region", "status")


class RejectedFile(ValueError):
    """The file has rows that fail their checks; nothing was imported."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


NOT_UTF8 = (
    'the file is not UTF-8 text (from Excel, save it as "CSV UTF-8"); nothing was read past '
    "line {line}"
)


def checked_rows(stream, columns, check_row, key, twice):
    """Every row of a CSV stream with a header row, each checked by check_row; raises
    RejectedFile naming every problem by its line in the file (identifiers in the messages
    masked), and a row whose key(row) an earlier row had, with the message twice."""
    reader = csv.DictReader(stream)
    rows, problems, seen = [], [], set()
    try:
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise RejectedFile([f"missing column(s): {', '.join(missing)}"])
        for raw in reader:
            line = reader.line_num
            try:
                row = check_row(raw)
            except identifiers.Invalid as exc:
                problems.append(f"line {line}: {exc.message}")
                continue
            except ValueError as exc:
                problems.append(f"line {line}: {logs.scrub(str(exc))}")
                continue
            if key(row) in seen:
                problems.append(f"line {line}: {twice}")
            seen.add(key(row))
            rows.append(row)
    except UnicodeDecodeError:
        problems.append(NOT_UTF8.format(line=reader.line_num + 1))
    if problems:
        raise RejectedFile(problems)
    return rows


def import_cards(stream, card_pattern):
    """Import cards from a CSV stream with a header row; returns (created, updated)."""
    rows = checked_rows(
        stream,
        COLUMNS,
        lambda raw: _check_row(raw, card_pattern),
        key=lambda row: row["number"],
        twice="this card number is on an earlier line too",
    )
    created = 0
    with db.database.atomic():
        for row in rows:
            created += put_card(**row)
    return created, len(rows) - created


def _check_row(raw, card_pattern):
    region = (raw.get("region") or "").strip()
    status = (raw.get("status") or "").strip().lower()
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}")
    if status not in CARD_STATUSES:
        raise ValueError(f"unknown status {status!r} (one of {', '.join(CARD_STATUSES)})")
    return {
        "number": identifiers.card_number(raw.get("card_number"), card_pattern),
        "holder_name": identifiers.person_name(raw.get("holder_name")),
        "id_number": identifiers.resident_id(raw.get("id_number")),
        "region": region,
        "status": status,
    }
