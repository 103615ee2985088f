"""Social security services after binding: who may see them, overview, contributions (SPEC 2.6)."""

import datetime
import re

import pytest

from tests.conftest import log_in
from webapp import agreement, clock, demo, registry, social_security
from webapp.extensions import db
from webapp.identifiers import make_resident_id
from webapp.models import Account, Application, Binding, Customer
from webapp.registry.demo_insurance import STORIES, _month
from webapp.registry.insurance import (
    RegistryAccountBalance,
    RegistryContribution,
    RegistryInsuredPerson,
    RegistryPayableItem,
)
from webapp.registry.local import put_card

pytestmark = pytest.mark.database

PAGES = (
    "/services",
    "/services/contributions",
    "/services/pay",
    "/services/pay/RM-2027",
    "/services/payments",
    "/services/payments/SSP-2222222222",
)
REGISTRY_PAGES = ("/services", "/services/contributions", "/services/pay")


def id_number_of(username):
    """A demo persona's ID number (their social security number)."""
    for name, _full, (region, born, sequence), _accounts in demo.PERSONAS:
        if name == username:
            return make_resident_id(region, born, sequence)
    raise KeyError(username)


def bind_directly(username):
    """Give a persona an active binding as verification would leave it (no SMS needed)."""
    customer = Customer.get(Customer.username == username)
    card_number, region, _status = demo.CARDS[username]
    account = Account.of(customer).first()
    application = Application.create(
        customer=customer,
        status="bound",
        step=5,
        full_name=customer.name,
        id_number=customer.id_number,
        card_number=card_number,
        region=region,
        account=account,
        agreement_version=agreement.VERSION,
        agreement_language="en",
        agreement_sha256=agreement.digest("en"),
    )
    return Binding.create(
        customer=customer,
        card_number=card_number,
        region=region,
        account=account,
        application=application,
    )


def report_card(username, status):
    """Change a persona's card status in the registry (lost, frozen, cancelled, active)."""
    card_number, region, _status = demo.CARDS[username]
    name = Customer.get(Customer.username == username).name
    put_card(card_number, name, id_number_of(username), region, status)


def text_of(response):
    """A page's visible text, tags dropped and space collapsed."""
    html = response.get_data(as_text=True)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class QueryCounter:
    """Counts the SQL statements the app's database runs."""

    def __init__(self, monkeypatch):
        self.count = 0
        real = getattr(db.database, "obj", None) or db.database
        original = real.execute_sql

        def counting(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(real, "execute_sql", counting)


def test_every_services_page_needs_a_logged_in_customer(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_without_a_binding_the_services_offer_to_bind_the_card(customer):
    for path in PAGES[:4]:
        page = text_of(customer.get(path))
        assert "Bind your social security card first" in page, path
        assert 'href="/bind"' in customer.get(path).get_data(as_text=True)
        assert "Basic pension insurance" not in page and "¥400.00" not in page
    payments = text_of(customer.get("/services/payments"))
    assert "No social security card is bound now" in payments
    assert "You have not paid any fees here yet." in payments


def test_a_suspended_binding_says_why_and_shows_no_records(client, db_conn):
    log_in(client, "liu.yang")
    report_card("liu.yang", "lost")
    for path in REGISTRY_PAGES + ("/services/pay/RM-2027",):
        page = text_of(client.get(path))
        assert "Your social security services are paused" in page, path
        assert "reports your card ****0394 as lost" in page and "12333" in page
        assert "Pension personal account" not in page and "Send the code" not in page
    report_card("liu.yang", "frozen")
    assert "as frozen" in text_of(client.get("/services"))
    assert "Payment history" in text_of(client.get("/services/payments"))


def test_the_dashboard_links_a_bound_customer_to_the_services(client):
    log_in(client, "liu.yang")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/services"' in page


def test_the_overview_shows_participation_balances_and_employers(client, db_conn):
    log_in(client, "liu.yang")
    page = text_of(client.get("/services"))
    assert "刘*" in page and "330106********" in page and "Hangzhou, Zhejiang" in page
    for label in (
        "Basic pension insurance",
        "Basic medical insurance",
        "Unemployment insurance",
        "Work injury insurance",
        "Maternity insurance",
    ):
        assert label in page
    assert "Participating" in page and "Contributions suspended" in page
    balances = {
        row.kind: row.balance_fen
        for row in RegistryAccountBalance.select()
        .join(RegistryInsuredPerson)
        .where(RegistryInsuredPerson.id_number_index == id_number_of("liu.yang"))
    }
    assert f"¥{balances['pension'] / 100:,.2f}" in page
    assert "¥3,286.40" in page and "Medical insurance personal account" in page
    assert "杭州云帆科技有限公司" in page and "杭州西湖数据服务有限公司" in page


def test_a_registration_more_than_30_days_late_is_pointed_out_with_the_law_and_12333(
    client, db_conn
):
    log_in(client, "liu.yang")
    page = text_of(client.get("/services"))
    assert "An employer registered you late" in page
    assert "杭州西湖数据服务有限公司 registered you for social insurance on" in page
    assert "52 days after your employment began" in page
    assert "article 58" in page and "within 30 days" in page and "12333" in page
    assert page.count("Registered late") == 1  # the employer that registered in 12 days is fine


def test_registration_within_30_days_raises_no_notice(client, db_conn):
    bind_directly("zhang.wei")
    log_in(client, "zhang.wei")
    page = text_of(client.get("/services"))
    assert "北京华信软件有限公司" in page
    assert "registered you late" not in page and "Registered late" not in page


def test_art_58_counts_days_from_the_start_of_employment():
    start = datetime.date(2024, 1, 31)
    on_time = registry.Employment("A", start, start + datetime.timedelta(days=30))
    late = registry.Employment("A", start, start + datetime.timedelta(days=31))
    assert not on_time.registered_late and late.registered_late
    assert late.registration_delay == 31


def test_contributions_are_grouped_by_month_with_totals_gaps_and_arrears(app, db_conn):
    today = registry.today()
    story = STORIES["zhang.wei"]
    job = story.jobs[0]
    id_number = id_number_of("zhang.wei")
    years = social_security.contribution_years(id_number, today)
    assert years[0] == _month(today, -1).year and years == sorted(years, reverse=True)
    assert years[-1] == _month(today, job.first).year

    gap_months = {_month(today, offset) for offset in job.unpaid_leave}
    arrears_months = {_month(today, offset) for offset in job.arrears}
    for year in years:
        shown = social_security.contribution_year(id_number, year, years, today)
        months = [m.month for m in shown.months]
        assert months == sorted(months, reverse=True), "newest month first"
        assert {m.month for m in shown.months if m.state == "gap"} == {
            m for m in gap_months if m.year == year
        }
        assert {m.month for m in shown.months if m.state == "arrears"} == {
            m for m in arrears_months if m.year == year
        }
        for month in shown.months:
            assert len(month.records) in (0, 5)
            assert {r.paying_unit for r in month.records} <= {job.employer}
        rows = RegistryContribution.select().where(
            RegistryContribution.month.between(
                datetime.date(year, 1, 1), datetime.date(year, 12, 1)
            ),
            RegistryContribution.person == RegistryInsuredPerson.by_id_number(id_number).id,
        )
        paid = [r for r in rows if r.status == "paid"]
        assert shown.paid_employer_fen == sum(r.employer_fen for r in paid)
        assert shown.paid_personal_fen == sum(r.personal_fen for r in paid)
        assert shown.arrears_fen == sum(
            r.employer_fen + r.personal_fen for r in rows if r.status == "arrears"
        )


def test_the_gap_between_jobs_and_the_late_registration_are_months_without_record(app, db_conn):
    today = registry.today()
    first_job, second_job = STORIES["liu.yang"].jobs
    id_number = id_number_of("liu.yang")
    years = social_security.contribution_years(id_number, today)
    hired = _month(today, second_job.first)
    registered = hired + datetime.timedelta(days=second_job.registered_after_days)
    expected = set()
    month = _month(today, first_job.last + 1)
    while month < registered.replace(day=1):
        expected.add(month)
        month = _month(month, 1)
    gaps = set()
    for year in years:
        shown = social_security.contribution_year(id_number, year, years, today)
        gaps |= {m.month for m in shown.months if m.state == "gap"}
    assert gaps == expected and len(expected) >= 4


def test_the_contributions_page_marks_arrears_gaps_and_self_paid_months(client, db_conn):
    log_in(client, "liu.yang")
    today = registry.today()
    arrears_year = _month(today, STORIES["liu.yang"].jobs[1].arrears[0]).year
    page = text_of(client.get(f"/services/contributions?year={arrears_year}"))
    assert f"Contributions in {arrears_year}" in page
    assert "In arrears" in page and "Months in arrears" in page and "call 12333" in page
    assert "Self-paid (flexible employment)" in page or arrears_year != _month(today, -1).year
    gap_year = _month(today, STORIES["liu.yang"].jobs[0].last + 1).year
    page = text_of(client.get(f"/services/contributions?year={gap_year}"))
    assert "No record" in page and "A month with no record is a gap" in page


def test_the_year_filter_swaps_only_the_year_for_htmx_and_a_whole_page_without(client, db_conn):
    log_in(client, "liu.yang")
    full_path = "/services/contributions?year=2024"
    full = client.get(full_path).get_data(as_text=True)
    assert (
        "<html" in full
        and 'id="contribution-year"' in full
        and '<option value="2024" selected>' in full
    )
    swapped = client.get(
        "/services/contributions?year=2024",
        headers={"HX-Request": "true", "HX-Target": "contribution-year"},
    )
    fragment = swapped.get_data(as_text=True)
    assert "<html" not in fragment and "Contributions in 2024" in fragment
    assert 'hx-swap-oob="innerHTML:#year-status"' in fragment
    assert swapped.headers["HX-Push-Url"] == "/services/contributions?year=2024"
    assert "Contributions in" in text_of(client.get("/services/contributions?year=1900"))
    # A year with no records, or no year at all, is said, and the newest year shown instead.
    for asked in ("1900", "abc"):
        page = text_of(client.get(f"/services/contributions?year={asked}"))
        newest = re.search(r"Contributions in (\d{4})", page).group(1)
        assert f"There are no contribution records for “{asked}”. Showing {newest}." in page
    assert "There are no contribution records" not in text_of(client.get(full_path))


@pytest.mark.parametrize(
    "path",
    [
        "/services",
        "/services/contributions",
        "/services/contributions?year=2024",
        "/services/pay",
        "/services/pay/RM-2027",
        "/services/payments",
    ],
)
def test_each_page_takes_at_most_eight_queries(client, db_conn, monkeypatch, path):
    log_in(client, "liu.yang")
    counter = QueryCounter(monkeypatch)
    assert client.get(path).status_code == 200
    assert counter.count <= 8, counter.count


def test_seeding_twice_adds_no_registry_records(app, db_conn):
    tables = (RegistryInsuredPerson, RegistryContribution, RegistryPayableItem)
    before = [table.select().count() for table in tables]
    with app.app_context():
        demo.seed()
    assert [table.select().count() for table in tables] == before
    assert before[0] == 3 and before[1] > 500


CONTRIBUTION_COLUMNS = (
    "id_number,name,region,month,insurance_type,base,employer_amount,personal_amount,status,"
    "paid_by,paying_unit"
)


def import_contributions(app, path, rows=None):
    """Run the contributions import on a CSV file, written first from rows when given."""
    if rows is not None:
        path.write_text("\n".join([CONTRIBUTION_COLUMNS, *rows]) + "\n", encoding="utf-8")
    return app.test_cli_runner().invoke(args=["registry-import-contributions", str(path)])


def test_contributions_import_from_csv_adds_and_updates_records(app, db_conn, tmp_path):
    id_number = id_number_of("zhang.wei")
    path = tmp_path / "contributions.csv"
    rows = [
        f"{id_number},张伟,110000,2019-03,pension,8000.00,1280.00,640.00,paid,employer,北京旧公司",
        f"{id_number},张伟,110000,2019-03,medical,8000,760,160,arrears,employer,北京旧公司",
        "11010519491231002X,王小明,310000,2020-01,pension,5000,0,1000,paid,self,",
    ]
    result = import_contributions(app, path, rows)
    assert result.exit_code == 0, result.output
    assert "Imported 3 new, 0 updated and 0 unchanged contribution records." in result.output
    assert "insured person" not in result.output  # a person new to the registry is not renamed
    march = registry.contributions(id_number, 2019)
    assert [(c.insurance_type, c.base_fen, c.employer_fen, c.status) for c in march] == [
        ("pension", 800_000, 128_000, "paid"),
        ("medical", 800_000, 76_000, "arrears"),
    ]
    assert registry.insured_person("11010519491231002X").name == "王小明"
    result = import_contributions(app, path)
    assert "Imported 0 new, 0 updated and 3 unchanged contribution records." in result.output
    path.write_text(
        path.read_text(encoding="utf-8").replace("760,160,arrears", "760,160,paid"),
        encoding="utf-8",
    )
    result = import_contributions(app, path)
    assert "Imported 0 new, 1 updated and 2 unchanged contribution records." in result.output
    assert [c.status for c in registry.contributions(id_number, 2019)] == ["paid", "paid"]
    path.write_text(path.read_text(encoding="utf-8").replace("王小明", "王晓明"), encoding="utf-8")
    result = import_contributions(app, path)
    assert "Imported 0 new, 0 updated and 3 unchanged contribution records." in result.output
    assert "1 insured person(s) now have another name or region." in result.output
    assert registry.insured_person("11010519491231002X").name == "王晓明"


def test_a_person_given_two_names_in_one_file_is_refused(app, db_conn, tmp_path):
    id_number = id_number_of("zhang.wei")
    path = tmp_path / "contributions.csv"
    rows = [
        f"{id_number},张伟,110000,2019-03,pension,8000,1280,640,paid,employer,北京旧公司",
        f"{id_number},张为,110000,2019-04,pension,8000,1280,640,paid,employer,北京旧公司",
        f"{id_number},张伟,310000,2019-05,pension,8000,1280,640,paid,employer,北京旧公司",
    ]
    result = import_contributions(app, path, rows)
    assert result.exit_code == 1 and "Nothing was imported" in result.output
    for line in (3, 4):
        assert (
            f"line {line}: this ID number has another name or region on an earlier line"
            in result.output
        )
    assert "line 2:" not in result.output
    assert registry.contributions(id_number, 2019) == []


def test_a_contributions_file_with_any_bad_row_imports_nothing(app, db_conn, tmp_path):
    id_number = id_number_of("zhang.wei")
    path = tmp_path / "contributions.csv"
    before = RegistryContribution.select().count()
    rows = [
        f"{id_number},张伟,110000,2019-03,pension,8000.00,1280.00,640.00,paid,employer,北京旧公司",
        f"{id_number},张伟,110000,2019-13,pension,8000,1280,640,paid,employer,北京旧公司",
        f"{id_number},张伟,110000,2019-04,dental,8000,1280,640,paid,employer,北京旧公司",
        f"{id_number},张伟,110000,2019-05,pension,80.001,1280,640,paid,employer,北京旧公司",
        f"{id_number},张伟,110000,2019-06,pension,8000,1280,640,owed,employer,北京旧公司",
        "110105194912310021,王小明,310000,2020-01,pension,5000,0,1000,paid,self,",
        f"{id_number},张伟,110000,2019-07,pension,8000,1280,640,paid,employer,北京\x00公司",
    ]
    result = import_contributions(app, path, rows)
    assert result.exit_code != 0 and "Nothing was imported" in result.output
    for line in (3, 4, 5, 6, 7):
        assert f"line {line}:" in result.output
    assert "line 8: an employer's paying_unit is 1 to 100 printable characters" in result.output
    assert "line 2:" not in result.output
    assert RegistryContribution.select().count() == before
    assert registry.contributions(id_number, 2019) == []


def test_registry_times_are_china_dates(frozen):
    frozen.at = datetime.datetime(2026, 3, 31, 17, 30)  # 01:30 on 1 April in Beijing
    assert registry.today() == datetime.date(2026, 4, 1)
    assert clock.now().date() == datetime.date(2026, 3, 31)
