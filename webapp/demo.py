"""Demo personas for development and demos (refused in production)."""

import datetime

from webapp import agents, agreement, clock, sign_in, signatures
from webapp.extensions import db
from webapp.identifiers import make_resident_id, mobile
from webapp.models import Account, Application, Binding, Customer
from webapp.models.binding import BOUND
from webapp.registry import demo_insurance
from webapp.registry.local import put_card

PASSWORD = "Demo-2026"

# username -> (card number, insured region, card status in the registry)
CARDS = {
    "zhang.wei": ("M31452876", "110000", "active"),
    "wang.fang": ("S20948731", "310000", "lost"),
    "li.na": ("G44830219", "440300", "not_activated"),
    "liu.yang": ("Z76120394", "330100", "active"),
    "chen.jing": ("C58302147", "510100", "active"),
    "zhao.lei": ("H90213856", "420100", "frozen"),
    "sun.li": ("N37481920", "320100", "cancelled"),
}
ALREADY_BOUND = "liu.yang"

# username, name, (region, birth date, sequence), accounts:
# (account number, kind, currency, status, balance in fen, reserved mobile)
PERSONAS = [
    (
        "zhang.wei",
        "张伟",
        ("110101", datetime.date(1988, 5, 12), 31),
        [
            ("6222021001000012345", "debit", "CNY", "active", 1_523_450, "13800138000"),
        ],
    ),
    (
        "wang.fang",
        "王芳",
        ("310104", datetime.date(1992, 11, 3), 42),
        [
            ("6222021001000023456", "debit", "CNY", "active", 842_000, "13912345678"),
        ],
    ),
    (
        "li.na",
        "李娜",
        ("440305", datetime.date(1985, 2, 28), 26),
        [
            ("6222021001000034567", "debit", "CNY", "active", 305_075, "15012345678"),
        ],
    ),
    (
        "liu.yang",
        "刘洋",
        ("330106", datetime.date(1989, 8, 19), 17),
        [
            ("6222021001000045678", "debit", "CNY", "active", 2_210_000, "18611112222"),
            ("6222021001000143321", "debit", "CNY", "active", 310_000, "18611112222"),
        ],
    ),
    (
        "chen.jing",
        "陈静",
        ("510107", datetime.date(1995, 6, 1), 88),
        [
            ("6222021001000056789", "debit", "CNY", "active", 1_120_030, "13700001111"),
            ("6222021001000067890", "debit", "CNY", "frozen", 5_000_000, "13700001111"),
            ("6222021001000078901", "debit", "USD", "active", 120_000, "13700001111"),
            ("6258091001000089012", "credit", "CNY", "active", 0, "13700001111"),
        ],
    ),
    (
        "zhao.lei",
        "赵磊",
        ("420106", datetime.date(1990, 12, 24), 55),
        [
            ("6222021001000090123", "debit", "CNY", "active", 66_600, "18912345678"),
        ],
    ),
    (
        "sun.li",
        "孙丽",
        ("320102", datetime.date(1983, 4, 9), 64),
        [
            ("6222021001000101234", "debit", "CNY", "active", 98_800, "13512345678"),
        ],
    ),
]


def seed():
    """Create the demo customers and accounts that do not exist yet; returns how many were new."""
    created = 0
    password_hash = sign_in.hash_password(PASSWORD)
    with db.database.atomic():
        for username, name, (region, born, sequence), accounts in PERSONAS:
            if Customer.get_or_none(Customer.username == username):
                continue
            customer = Customer.create(
                username=username,
                password_hash=password_hash,
                name=name,
                id_number=make_resident_id(region, born, sequence),
            )
            for number, kind, currency, status, balance, phone in accounts:
                Account.create(
                    customer=customer,
                    number=number,
                    kind=kind,
                    currency=currency,
                    status=status,
                    balance_fen=balance,
                    reserved_mobile=mobile(phone),
                )
            card_number, region, status = CARDS[username]
            put_card(card_number, name, customer.id_number, region, status)
            if username == ALREADY_BOUND:
                _bind(customer, card_number, region)
            created += 1
        demo_insurance.seed(PERSONAS, CARDS)
        agents.seed_demo()
    return created


def _bind(customer, card_number, region):
    """A binding made earlier, as the verification step would have left it."""
    account = Account.of(customer).first()
    bound_at = clock.now() - datetime.timedelta(days=200)
    application = Application.create(
        customer=customer,
        status=BOUND,
        step=5,
        full_name=customer.name,
        id_number=customer.id_number,
        card_number=card_number,
        region=region,
        account=account,
        agreement_version=agreement.VERSION,
        agreement_language="zh",
        agreement_sha256=agreement.digest("zh"),
        consented_at=bound_at,
        submitted_at=bound_at,
        closed_at=bound_at,
        created_at=bound_at,
        updated_at=bound_at,
    )
    Binding.create(
        customer=customer,
        card_number=card_number,
        region=region,
        account=account,
        application=application,
        bound_at=bound_at,
    )
    signatures.create(
        application, challenge_id="demo-seed", verified_at=bound_at, ip="", user_agent="seed-demo"
    )
