"""Demo personas for development and demos (refused in production)."""

import datetime

from webapp import sign_in
from webapp.extensions import db
from webapp.identifiers import make_resident_id, mobile
from webapp.models import Account, Customer

PASSWORD = "Demo-2026"

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
        ("330106", datetime.date(1979, 8, 19), 17),
        [
            ("6222021001000045678", "debit", "CNY", "active", 2_210_000, "18611112222"),
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
            created += 1
    return created
