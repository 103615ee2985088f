"""The access log: supervisors read who looked up whom, when and why; filtered, paginated, masked."""

import datetime

import pytest

from tests import test_agent_console as console
from tests.test_agent_console import counting_queries, text_of
from tests.test_agent_search import search
from webapp import access_log
from webapp.models import AccessLog, Agent, Customer

pytestmark = pytest.mark.database

agent, supervisor = console.agent, console.supervisor

# 09:30 in Shanghai on 2 March 2026 is 01:30 UTC.
MORNING = datetime.datetime(2026, 3, 2, 1, 30)


def test_a_supervisor_reads_every_lookup_masked_with_reason_and_count(agent, supervisor, db_conn):
    search(agent, "13800138000", reason="complaint")
    search(agent, "SSB-7K3M9QXD", reason="fraud_check")
    zhang = Customer.get(Customer.username == "zhang.wei")
    # The last search found nobody: opening a record now asks why, and logs that.
    console.open_record(agent, zhang.id, reason="customer_call")
    page = text_of(supervisor.get("/agent/access-log"))
    assert "3 lookups" in page
    assert "李晓明 (agent.li) Opened a customer record: 张* " in page
    assert "Opened a customer record: 张* (1) Customer call" in page
    assert "Searched a mobile number: 138****8000 Complaint 1" in page
    assert "Searched an application reference: SSB-7K3M9QXD Fraud check 0" in page
    assert "13800138000" not in page
    assert page.index("Opened a customer record") < page.index("Searched a mobile number")


def test_the_log_filters_by_agent(agent, supervisor, db_conn):
    search(agent, "13800138000", reason="complaint")
    search(supervisor, "13800138000", reason="fraud_check")
    wu = Agent.get(Agent.username == "supervisor.wu")
    page = text_of(supervisor.get(f"/agent/access-log?agent={wu.id}"))
    assert "1 lookup " in page and "Fraud check" in page and "Complaint" not in page
    # An agent that is not among the choices (a changed address) reads as all agents.
    for unknown in ("9" * 30, "²", "-1", "999999"):
        answer = supervisor.get(f"/agent/access-log?agent={unknown}")
        assert answer.status_code == 200, unknown
        assert "2 lookups " in text_of(answer)


def test_the_log_filters_by_local_date(agent, supervisor, frozen, db_conn):
    frozen.at = MORNING - datetime.timedelta(days=1)
    li = Agent.get(Agent.username == "agent.li")
    for day in range(3):
        access_log.record_search(
            li,
            kind="mobile",
            masked_query="138****8000",
            reason="complaint",
            note="",
            result_count=day,
        )
        frozen.advance(days=1)
    page = text_of(supervisor.get("/agent/access-log?since=2026-03-02&until=2026-03-02"))
    assert "1 lookup " in page and "Mar 2, 2026" in page
    page = text_of(supervisor.get("/agent/access-log?since=2026-03-02"))
    assert "2 lookups" in page
    # The first and last days of the calendar bound nothing: every lookup lies between them.
    for bounds in ("since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31"):
        answer = supervisor.get(f"/agent/access-log?{bounds}")
        assert answer.status_code == 200 and "3 lookups" in text_of(answer), bounds


def test_a_date_that_is_not_one_is_named_in_the_message(supervisor):
    answer = supervisor.get("/agent/access-log?since=garbage&until=2026-03-01")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "“garbage” is not a date. Enter one like 2026-11-27." in text_of(answer)
    # A date field cannot show it; the valid one is kept.
    assert 'value="garbage"' not in html and 'value="2026-03-01"' in html
    chinese = supervisor.get(
        "/agent/access-log?since=garbage", headers={"Accept-Language": "zh-CN"}
    )
    assert "“garbage”不是有效日期，请按 2026-11-27 的格式填写。" in text_of(chinese)


def test_a_date_range_that_ends_before_it_starts_is_refused(supervisor):
    page = text_of(supervisor.get("/agent/access-log?since=2026-03-02&until=2026-03-01"))
    assert "The end date must be on or after the start date" in page
    assert "lookups" not in page


def test_the_log_is_paginated_fifty_a_page(supervisor, db_conn):
    li = Agent.get(Agent.username == "agent.li")
    for count in range(60):
        access_log.record_search(
            li,
            kind="reference",
            masked_query=f"SSB-{count:08d}",
            reason="",
            note="",
            result_count=0,
        )
    first = supervisor.get("/agent/access-log").get_data(as_text=True)
    assert first.count("<tr>") == 51 and 'rel="next"' in first and "page 1 of 2" in first
    second = supervisor.get("/agent/access-log?page=2").get_data(as_text=True)
    assert second.count("<tr>") == 11 and 'rel="prev"' in second
    assert "SSB-00000000" in second and "SSB-00000059" in first
    beyond = supervisor.get("/agent/access-log?page=99").get_data(as_text=True)
    assert "page 2 of 2" in beyond


def test_the_log_page_stays_within_the_query_budget(supervisor, db_conn, monkeypatch):
    li = Agent.get(Agent.username == "agent.li")
    zhang = Customer.get(Customer.username == "zhang.wei")
    for _ in range(30):
        access_log.record_view(li, customer_id=zhang.id, reason="complaint")
    with counting_queries(monkeypatch) as queries:
        supervisor.get("/agent/access-log")
    assert len(queries) <= 8, queries.statements


def test_access_log_rows_cannot_be_changed_or_deleted(db_conn):
    li = Agent.get(Agent.username == "agent.li")
    row = access_log.record_search(
        li,
        kind="mobile",
        masked_query="138****8000",
        reason="complaint",
        note="",
        result_count=1,
    )
    row.reason = "other"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete_instance()
    assert AccessLog.get_by_id(row.id).reason == "complaint"
