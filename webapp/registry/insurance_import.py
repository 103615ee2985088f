"""Importing contribution records from CSV: every row checked, nothing half-imported.

Amounts are in yuan with at most two decimals ("8000", "1280.50") and are stored as fen. A row
for a person the registry does not know yet creates that person from its name and region.
"""

import datetime
import re

from webapp import identifiers, registry
from webapp.extensions import db
from webapp.registry.csv_import import checked_rows, count_outcomes
from webapp.registry.insurance import put_contribution, put_person

COLUMNS = (
    "id_number",
    "name",
    "region",
    "month",
    "insurance_type",
    "base",
    "employer_amount",
    "personal_amount",
    "status",
    "paid_by",
    "paying_unit",
)
YUAN = re.compile(r"\d{1,9}(\.\d{1,2})?")
MONTH = re.compile(r"(\d{4})-(\d{2})")


def import_contributions(stream):
    """Import contribution records from a CSV stream with a header row; returns what it did
    (csv_import.Imported)."""
    people = {}  # ID number -> (name, region) as the file first gives them

    def check_row(raw):
        row = _check_row(raw)
        person = (row["name"], row["region"])
        first = people.setdefault(row["id_number"], person)
        if first != person:
            raise ValueError(
                "this ID number has another name or region on an earlier line; a person has one"
            )
        return row

    rows = checked_rows(
        stream,
        COLUMNS,
        check_row,
        key=lambda row: (row["id_number"], row["month"], row["insurance_type"]),
        twice="the same person, month and type appear twice",
    )
    with db.database.atomic():
        persons = {
            id_number: put_person(id_number, name, region)
            for id_number, (name, region) in people.items()
        }
        outcomes = [put_contribution(persons[row["id_number"]][0], **_record(row)) for row in rows]
    renamed = sum(1 for _person, outcome in persons.values() if outcome == registry.UPDATED)
    return count_outcomes(outcomes, people_updated=renamed)


def _record(row):
    """A checked row's contribution record: the row without the person it is for."""
    return {name: value for name, value in row.items() if name not in _PERSON}


_PERSON = ("id_number", "name", "region")


def _check_row(raw):
    value = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    region, kind = value["region"], value["insurance_type"].lower()
    status, paid_by = value["status"].lower(), value["paid_by"].lower()
    if region not in registry.REGIONS:
        raise ValueError(f"unknown region {region!r}")
    if kind not in registry.INSURANCE_TYPES:
        raise ValueError(
            f"unknown insurance type {kind!r} (one of {', '.join(registry.INSURANCE_TYPES)})"
        )
    if status not in registry.CONTRIBUTION_STATUSES:
        raise ValueError(f"unknown status {status!r} (paid or arrears)")
    if paid_by not in (registry.BY_EMPLOYER, registry.BY_SELF):
        raise ValueError(f"unknown payer {paid_by!r} (employer or self)")
    unit = value["paying_unit"]
    if paid_by == registry.BY_EMPLOYER and not (0 < len(unit) <= 100 and unit.isprintable()):
        # Customers read it on their contributions page: no control characters (a NUL, which
        # PostgreSQL refuses; a terminal's escape codes; a line break).
        raise ValueError("an employer's paying_unit is 1 to 100 printable characters")
    return {
        "id_number": identifiers.resident_id(value["id_number"]),
        "name": identifiers.person_name(value["name"]),
        "region": region,
        "month": _month(value["month"]),
        "insurance_type": kind,
        "base_fen": _fen(value["base"], "base"),
        "employer_fen": _fen(value["employer_amount"], "employer_amount"),
        "personal_fen": _fen(value["personal_amount"], "personal_amount"),
        "status": status,
        "paid_by": paid_by,
        "paying_unit": unit if paid_by == registry.BY_EMPLOYER else "",
    }


def _month(text):
    match = MONTH.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1951:
        raise ValueError(f"month {text!r} is not a month like 2024-03")
    month = datetime.date(int(match.group(1)), int(match.group(2)), 1)
    if month > registry.today():
        raise ValueError(f"month {text!r} is in the future")
    return month


def _fen(text, column):
    if not YUAN.fullmatch(text):
        raise ValueError(f"{column} {text!r} is not an amount in yuan like 1280.50")
    whole, _dot, cents = text.partition(".")
    return int(whole) * 100 + int(cents.ljust(2, "0") or 0)
