"""The rules for what customers type: resident ID, card number, name, mobile (SPEC 3.3)."""

import datetime

import pytest
from stdnum.cn import ric

from webapp import clock, identifiers
from webapp.identifiers import Invalid, make_resident_id

VALID = make_resident_id("110101", datetime.date(1988, 5, 12), 31)


def _with_check(body17):
    return make_resident_id(
        body17[:6], datetime.datetime.strptime(body17[6:14], "%Y%m%d").date(), int(body17[14:17])
    )


@pytest.fixture(autouse=True)
def _app_context(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        (VALID, VALID),
        (f" {VALID[:6]} {VALID[6:14]} {VALID[14:]} ", VALID),
        ("".join(chr(ord(c) + 0xFEE0) for c in VALID), VALID),  # full-width digits
        ("11010519491231002x", "11010519491231002X"),  # check character X, lower case
    ],
)
def test_valid_resident_ids_are_normalised(entered, expected):
    assert identifiers.resident_id(entered) == expected


def test_the_x_check_character_is_valid():
    assert identifiers.resident_id("11010519491231002X").endswith("X")


@pytest.mark.parametrize(
    ("entered", "message"),
    [
        ("", "Enter your resident ID number"),
        (
            VALID[:-1] + str((int(VALID[-1]) + 1) % 10) if VALID[-1] != "X" else VALID[:-1] + "0",
            "not valid",
        ),
        (_with_check("99010119880512031"), "birth date or region"),  # unknown region
        (_with_check("11010118990101031"), "birth date or region"),  # born before 1900
        ("110101880512031", "18-character"),  # old 15-digit format
        ("11010119880512A31X", "only contain digits"),
        ("1101011988051203", "must be 18 characters"),
    ],
)
def test_invalid_resident_ids_say_what_is_wrong(entered, message):
    with pytest.raises(Invalid) as caught:
        identifiers.resident_id(entered)
    assert message in str(caught.value.message)


@pytest.mark.parametrize(
    ("body17", "accepted"),
    [
        ("11022119900101031", True),  # Changping county, a code from 1982 to 1999
        ("11022120050101031", False),  # the same code after it was retired
        ("11022119900101031", True),  # asked again: the same answer
        ("11010119880230031", False),  # 30 February
    ],
)
def test_a_region_counts_in_the_years_it_existed_and_the_date_must_exist(body17, accepted):
    number = body17 + ric.calc_check_digit(body17 + "0")
    if accepted:
        assert identifiers.resident_id(number) == number
    else:
        with pytest.raises(Invalid, match="birth date or region"):
            identifiers.resident_id(number)


def test_a_birth_date_in_the_future_is_refused(frozen):
    tomorrow = clock.local(clock.now()).date() + datetime.timedelta(days=1)
    future = make_resident_id("110101", tomorrow, 31)
    with pytest.raises(Invalid) as caught:
        identifiers.resident_id(future)
    assert "birth date or region" in str(caught.value.message)


def test_a_birth_date_is_today_by_the_calendar_in_china(frozen):
    frozen.at = datetime.datetime(2026, 3, 1, 17, 30)  # 01:30 on 2 March in China
    born_today = make_resident_id("110101", datetime.date(2026, 3, 2), 31)
    assert identifiers.resident_id(born_today) == born_today


@pytest.mark.parametrize(
    ("entered", "expected"),
    [("M31452876", "M31452876"), ("m3145 2876", "M31452876"), ("ｍ３１４５２８７６", "M31452876")],
)
def test_card_numbers_are_normalised(entered, expected):
    assert identifiers.card_number(entered, r"[A-Z0-9]{9}") == expected


@pytest.mark.parametrize("entered", ["", "M3145287", "M314528765", "M3145-287", "卡号123456"])
def test_bad_card_numbers_are_refused(entered):
    with pytest.raises(Invalid):
        identifiers.card_number(entered, r"[A-Z0-9]{9}")


@pytest.mark.parametrize(
    ("entered", "expected"),
    [
        ("王小明", "王小明"),
        (" 买买提·艾力 ", "买买提·艾力"),
        ("Zhang  Wei", "Zhang Wei"),
        ("李", None),
        ("王" * 31, None),
        ("Robert'); DROP", None),
        ("王小明1", None),
        ("", None),
    ],
)
def test_names(entered, expected):
    if expected is None:
        with pytest.raises(Invalid):
            identifiers.person_name(entered)
    else:
        assert identifiers.person_name(entered) == expected


def test_same_name_ignores_width_case_and_spacing():
    assert identifiers.same_name("ZHANG WEI", "zhang  wei")
    assert identifiers.same_name("买买提·艾力", "买买提·艾力")
    assert not identifiers.same_name("张伟", "张玮")


@pytest.mark.parametrize(
    ("entered", "expected"),
    [("13800138000", "+8613800138000"), ("+86 138-0013-8000", "+8613800138000")],
)
def test_mobiles_are_stored_in_e164(entered, expected):
    assert identifiers.mobile(entered) == expected


@pytest.mark.parametrize("entered", ["", "12345", "01012345678", "+12025550123", "abc"])
def test_non_cn_mobiles_are_refused(entered):
    with pytest.raises(Invalid):
        identifiers.mobile(entered)
