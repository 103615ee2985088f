"""Importing registry cards from CSV: every row checked, nothing half-imported."""

import collections
import csv
from typing import NamedTuple

from webapp import identifiers, logs
from webapp.extensions import db
from webapp.registry import CARD_STATUSES, CREATED, REGIONS, UNCHANGED, UPDATED
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
    masked), and a row whose key(row) an earlier row had, with the message twice.

    The header names exactly these columns, in any order: a column the import does not know
    would otherwise be dropped without a word (a misspelt one is also "missing")."""
    reader = csv.DictReader(stream, restkey=_EXTRA)
    rows, problems, seen = [], [], set()
    try:
        _check_header(reader.fieldnames or [], columns)
        for raw in reader:
            line = reader.line_num
            if _EXTRA in raw:
                problems.append(f"line {line}: more values than the header has columns")
                continue
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


_EXTRA = object()  # where csv puts the values of a row that has more than the header


def _check_header(names, columns):
    problems = []
    missing = [c for c in columns if c not in names]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [name for name in names if name not in columns]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(repr(name) for name in unknown)}")
    twice = [name for name, count in collections.Counter(names).items() if count > 1]
    if twice:
        problems.append(f"column(s) named twice: {', '.join(twice)}")
    if problems:
        problems.append(f"the header must name these columns: {', '.join(columns)}")
        raise RejectedFile(problems)


class Imported(NamedTuple):
    """What an import did: records new, updated and unchanged, and for contributions, insured
    persons already known whose name or region it changed."""

    created: int
    updated: int
    unchanged: int
    people_updated: int = 0


def count_outcomes(outcomes, people_updated=0):
    """What an import did, from each record's outcome (registry.CREATED, UPDATED, UNCHANGED)."""
    counted = collections.Counter(outcomes)
    return Imported(counted[CREATED], counted[UPDATED], counted[UNCHANGED], people_updated)


def import_cards(stream, card_pattern):
    """Import cards from a CSV stream with a header row; returns how many cards were new,
    updated and unchanged."""
    rows = checked_rows(
        stream,
        COLUMNS,
        lambda raw: _check_row(raw, card_pattern),
        key=lambda row: row["number"],
        twice="this card number is on an earlier line too",
    )
    with db.database.atomic():
        return count_outcomes([put_card(**row) for row in rows])


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
