"""Demo social insurance records for the personas: several years of contributions with gaps and
arrears, personal accounts, payable items, and one employer that registered late (art. 58).

Months are counted back from the current month, so the records always end "now". Seeding is
idempotent: a person the registry already knows is left as it is.
"""

import datetime
from dataclasses import dataclass, field

from peewee import chunked

from webapp import registry
from webapp.identifiers import make_resident_id
from webapp.registry.insurance import (
    RegistryAccountBalance,
    RegistryContribution,
    RegistryEmployment,
    RegistryInsuredPerson,
    RegistryParticipation,
    RegistryPayableItem,
    put_person,
)

# Employee rates in basis points of the base: (employer, personal), as in most provinces.
EMPLOYEE_RATES = {
    registry.PENSION: (1600, 800),
    registry.MEDICAL: (950, 200),
    registry.UNEMPLOYMENT: (50, 50),
    registry.WORK_INJURY: (40, 0),
    registry.MATERNITY: (80, 0),
}
FLEXIBLE_RATE = 2000  # a flexible worker pays 20% of the chosen base, 8 points to their account
RESIDENT_MEDICAL_FEN = 40_000
RAISE_EVERY_JULY = 105  # per cent: bases are reset each July, here up 5%


@dataclass(frozen=True)
class Job:
    """An employment: months as offsets from the current month (-1 is last month)."""

    employer: str
    first: int
    last: int | None
    registered_after_days: int
    base_fen: int
    arrears: tuple = ()
    unpaid_leave: tuple = ()


@dataclass(frozen=True)
class Story:
    """One persona's social insurance history."""

    jobs: tuple
    flexible_months: tuple = ()
    flexible_base_fen: int = 0
    flexible_range: tuple = (0, 0)
    suspended: tuple = ()
    medical_account_fen: int = 0
    payable: tuple = field(default_factory=tuple)


STORIES = {
    "liu.yang": Story(
        jobs=(
            Job("杭州云帆科技有限公司", -72, -35, 12, 980_000),
            # Registered 52 days after hiring: art. 58 allows 30, and two months went unpaid.
            Job("杭州西湖数据服务有限公司", -31, -5, 52, 1_250_000, arrears=(-7, -6, -5)),
        ),
        flexible_months=(-4, -3, -2, -1),
        flexible_base_fen=446_200,
        flexible_range=(446_200, 2_231_100),
        suspended=(
            registry.MEDICAL,
            registry.UNEMPLOYMENT,
            registry.WORK_INJURY,
            registry.MATERNITY,
        ),
        medical_account_fen=328_640,
        payable=("resident_medical", "resident_medical_closed", "flexible_pension"),
    ),
    "zhang.wei": Story(
        jobs=(
            Job(
                "北京华信软件有限公司",
                -60,
                None,
                7,
                1_500_000,
                arrears=(-14, -13),
                unpaid_leave=(-40, -39),
            ),
        ),
        medical_account_fen=512_318,
    ),
    "chen.jing": Story(
        jobs=(Job("成都天府文化传媒有限公司", -54, -19, 20, 720_000, arrears=(-22, -21)),),
        flexible_months=(-12, -11, -10, -9, -8, -7, -5, -4, -3, -2, -1),
        flexible_base_fen=407_100,
        flexible_range=(407_100, 2_035_500),
        suspended=(
            registry.MEDICAL,
            registry.UNEMPLOYMENT,
            registry.WORK_INJURY,
            registry.MATERNITY,
        ),
        medical_account_fen=86_450,
        payable=("resident_medical", "flexible_pension"),
    ),
}


def seed(personas, cards, today=None):
    """Give the personas with a story their registry records; returns how many were new."""
    today = today or registry.today()
    created = 0
    for username, name, (region, born, sequence), _accounts in personas:
        story = STORIES.get(username)
        id_number = make_resident_id(region, born, sequence)
        if story is None or RegistryInsuredPerson.by_id_number(id_number) is not None:
            continue
        person, _created = put_person(id_number, name, cards[username][1])
        _write(person, story, today)
        created += 1
    return created


def _month(today, offset):
    """The first day of the month `offset` months from this one."""
    index = today.year * 12 + today.month - 1 + offset
    return datetime.date(index // 12, index % 12 + 1, 1)


def _base_in(job_base, start, month):
    """A job's base in a month: raised every July since the job began."""
    raises = sum(
        1
        for year in range(start.year, month.year + 1)
        if start < datetime.date(year, 7, 1) <= month
    )
    base = job_base
    for _ in range(raises):
        base = base * RAISE_EVERY_JULY // 100 // 100 * 100
    return base


def _write(person, story, today):
    pension_account, contributions = 0, []
    for job in story.jobs:
        started = _month(today, job.first)
        registered = started + datetime.timedelta(days=job.registered_after_days)
        last = job.last if job.last is not None else -1
        RegistryEmployment.create(
            person=person,
            employer=job.employer,
            started_on=started,
            registered_on=registered,
            ended_on=None if job.last is None else _month(today, last + 1) - datetime.timedelta(1),
        )
        for offset in range(job.first, last + 1):
            month = _month(today, offset)
            if month < registered.replace(day=1) or offset in job.unpaid_leave:
                continue
            base = _base_in(job.base_fen, started, month)
            status = registry.ARREARS if offset in job.arrears else registry.PAID
            for kind, (employer_bp, personal_bp) in EMPLOYEE_RATES.items():
                personal = base * personal_bp // 10_000
                if kind == registry.PENSION and status == registry.PAID:
                    pension_account += personal
                contributions.append(
                    {
                        "person": person,
                        "month": month,
                        "insurance_type": kind,
                        "base_fen": base,
                        "employer_fen": base * employer_bp // 10_000,
                        "personal_fen": personal,
                        "status": status,
                        "paid_by": registry.BY_EMPLOYER,
                        "paying_unit": job.employer,
                    }
                )
    for offset in story.flexible_months:
        base = story.flexible_base_fen
        pension_account += base * 800 // 10_000
        contributions.append(
            {
                "person": person,
                "month": _month(today, offset),
                "insurance_type": registry.PENSION,
                "base_fen": base,
                "employer_fen": 0,
                "personal_fen": base * FLEXIBLE_RATE // 10_000,
                "status": registry.PAID,
                "paid_by": registry.BY_SELF,
                "paying_unit": "",
            }
        )
    # Hundreds of rows per person: inserted in batches, small enough for SQLite's variable limit.
    for batch in chunked(contributions, 80):
        RegistryContribution.insert_many(batch).execute()
    first_day = _month(today, story.jobs[0].first)
    for kind in registry.INSURANCE_TYPES:
        RegistryParticipation.create(
            person=person,
            insurance_type=kind,
            status=registry.SUSPENDED if kind in story.suspended else registry.PARTICIPATING,
            started_on=first_day,
        )
    as_of = _month(today, 0) - datetime.timedelta(days=1)
    RegistryAccountBalance.create(
        person=person, kind=registry.PENSION_ACCOUNT, balance_fen=pension_account, as_of=as_of
    )
    RegistryAccountBalance.create(
        person=person,
        kind=registry.MEDICAL_ACCOUNT,
        balance_fen=story.medical_account_fen,
        as_of=as_of,
    )
    for item in story.payable:
        RegistryPayableItem.create(person=person, **_payable(item, story, today))


def _payable(name, story, today):
    """The columns of one demo payable item, dated around today."""
    if name == "flexible_pension":
        opens = _month(today, 0)
        low, high = story.flexible_range
        return {
            "code": f"FP-{opens:%Y%m}",
            "kind": registry.FLEXIBLE_PENSION,
            "period": f"{opens:%Y-%m}",
            "base_min_fen": low,
            "base_max_fen": high,
            "rate_bp": FLEXIBLE_RATE,
            "opens_on": opens,
            "closes_on": _month(today, 1) - datetime.timedelta(days=1),
        }
    # Resident medical insurance is bought in autumn for the next calendar year.
    year = today.year + 1 if today.month >= 9 else today.year
    if name == "resident_medical_closed":
        year -= 1
        opens, closes = today - datetime.timedelta(400), today - datetime.timedelta(280)
    else:
        opens, closes = today - datetime.timedelta(30), today + datetime.timedelta(60)
    return {
        "code": f"RM-{year}",
        "kind": registry.RESIDENT_MEDICAL,
        "period": str(year),
        "amount_fen": RESIDENT_MEDICAL_FEN,
        "opens_on": opens,
        "closes_on": closes,
    }
