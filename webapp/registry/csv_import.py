"""Importing registry cards from CSV: every row checked, nothing half-imported."""

import csv

from webapp import identifiers
from webapp.extensions import db
from webapp.registry import CARD_STATUSES, REGIONS
from webapp.registry.local import put_card

COLUMNS = ("card_number", "holder_name", "id_number", "region", "status")


class RejectedFile(ValueError):
    """The file has rows that fail their checks; nothing was imported."""

    def __init__(self, problems):
        super().__init__("; ".join(problems))
        self.problems = problems


def import_cards(stream, card_pattern):
    """Import cards from a CSV stream with a header row; returns (created, updated)."""
    reader = csv.DictReader(stream)
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise RejectedFile([f"missing column(s): {', '.join(missing)}"])
    rows, problems = [], []
    for line, raw in enumerate(reader, start=2):
        try:
            rows.append(_check_row(raw, card_pattern))
        except identifiers.Invalid as exc:
            problems.append(f"line {line}: {exc.message}")
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
    if problems:
        raise RejectedFile(problems)
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
