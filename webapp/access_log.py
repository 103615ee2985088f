"""The access log: every search and every opened customer record, and the supervisors' view of it.

Rows hold masked identifiers only, and notes have digit runs masked, so reading the log never
reveals what it protects.
"""

import datetime
import math
from dataclasses import dataclass

from peewee import JOIN

from webapp import clock, logs
from webapp.models import AccessLog, Agent, Customer

PAGE_SIZE = 50


def record_search(agent, *, kind, masked_query, reason, note, result_count):
    """Log one search: its kind, the identifier masked, the reason and how many were found."""
    return _record(
        agent,
        action=AccessLog.SEARCH,
        kind=kind,
        masked_query=masked_query,
        reason=reason,
        note=note,
        result_count=result_count,
    )


def record_view(agent, *, customer_id, reason="", note=""):
    """Log one opened customer record, with the reason of the search that led to it, if any."""
    return _record(
        agent,
        action=AccessLog.VIEW,
        kind="customer",
        customer=customer_id,
        reason=reason,
        note=note,
        result_count=1,
    )


def _record(agent, *, note, **values):
    return AccessLog.create(
        agent=agent,
        at=clock.now(),
        note=logs.scrub(note or "")[:200],
        request_id=logs.current.get()["request_id"],
        **values,
    )


@dataclass(frozen=True)
class Page:
    """One page of the access log, newest first."""

    rows: list
    number: int
    pages: int
    total: int


def page(*, agent_id=None, on_or_after=None, before=None, number=1):
    """A page of lookups, filtered by agent and by a time range (UTC, end excluded)."""
    query = AccessLog.select()
    if agent_id is not None:
        query = query.where(AccessLog.agent == agent_id)
    if on_or_after is not None:
        query = query.where(AccessLog.at >= on_or_after)
    if before is not None:
        query = query.where(AccessLog.at < before)
    total = query.count()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(max(1, number), pages)
    rows = list(
        query.select(AccessLog, Agent, Customer)
        .join(Agent, on=(AccessLog.agent == Agent.id))
        .switch(AccessLog)
        .join(Customer, JOIN.LEFT_OUTER, on=(AccessLog.customer == Customer.id))
        .order_by(AccessLog.at.desc(), AccessLog.id.desc())
        .paginate(number, PAGE_SIZE)
    )
    return Page(rows=rows, number=number, pages=pages, total=total)


def local_day_bounds(first_day, last_day, zone):
    """The UTC instants that bound whole local days, first to last (either may be None). A day
    at the very ends of the calendar bounds nothing: no instant the log holds lies beyond it."""

    def utc(day):
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
        try:
            return start.astimezone(datetime.UTC).replace(tzinfo=None)
        except OverflowError:
            return None

    on_or_after = utc(first_day) if first_day else None
    before = None
    if last_day and last_day < datetime.date.max:
        before = utc(last_day + datetime.timedelta(days=1))
    return on_or_after, before
