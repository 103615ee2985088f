"""Checking and normalising the identifiers customers type: ID, mobile, card number, name.

Each checker returns the normalised value or raises Invalid with a translatable message.
"""

import datetime
import functools
import re
import unicodedata

import phonenumbers
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

from webapp import clock
from webapp.i18n import lazy_gettext as _l

EARLIEST_BIRTH = datetime.date(1900, 1, 1)
NAME_PATTERN = re.compile(
    r"^[\u3400-\u4dbf\u4e00-\u9fff·A-Za-z][\u3400-\u4dbf\u4e00-\u9fff·A-Za-z .'-]*$"
)


class Invalid(ValueError):
    """An identifier that fails its rules; str() is the message for the customer."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def fold(value):
    """Full-width to half-width, strip surrounding and inner spaces."""
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def resident_id(value):
    """A GB 11643-1999 resident ID number, upper-case, with a real birth date and region."""
    number = fold(value).upper()
    if not number:
        raise Invalid(_l("Enter your resident ID number"))
    if len(number) == 15 and number.isdigit():
        raise Invalid(_l("Enter the 18-character ID number from your current ID card"))
    if len(number) != 18:
        raise Invalid(_l("Your ID number must be 18 characters"))
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise Invalid(_l("Your ID number can only contain digits, and X as the last character"))
    # What stdnum's ric.validate() checks, in its order, less what is already checked above.
    if not number[:17].isascii():  # Digits of another script
        raise Invalid(_l("This ID number is not valid"))
    if number[17] != ric.calc_check_digit(number):
        raise Invalid(_l("This ID number is not valid: check each digit, especially the last one"))
    try:
        born = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or not _region_existed(number[:6], born.year):
        raise Invalid(_l("This ID number has a birth date or region that does not exist"))
    if not EARLIEST_BIRTH <= born <= clock.local(clock.now()).date():  # today in China
        raise Invalid(_l("This ID number has a birth date or region that does not exist"))
    return number


@functools.lru_cache(maxsize=8192)
def _region_existed(region, year):
    """Whether stdnum's table of regions has this six-digit code in a year (codes come and go).

    Looking it up takes longer than every other check of the number; the answer never changes.
    """
    try:
        ric.get_birth_place(f"{region}{year:04d}0101000X")
    except InvalidComponent:
        return False
    return True


def mobile(value):
    """A mainland China mobile number, returned in E.164 (+8613800138000)."""
    text = fold(value).replace("-", "")
    if not text:
        raise Invalid(_l("Enter a mobile number"))
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        raise Invalid(_l("Enter a mainland China mobile number, like 138 0013 8000")) from None
    if (
        number.country_code != 86
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        raise Invalid(_l("Enter a mainland China mobile number, like 138 0013 8000"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def card_number(value, pattern):
    """A social security card number, normalised and checked against the issuer's pattern."""
    number = fold(value).upper()
    if not number:
        raise Invalid(_l("Enter your social security card number"))
    if len(number) > 20 or not re.fullmatch(pattern, number):
        raise Invalid(_l("Enter the card number as printed on your social security card"))
    return number


def person_name(value):
    """A name of 2–30 Chinese or Latin characters, with · allowed; NFKC-normalised."""
    name = " ".join(unicodedata.normalize("NFKC", value or "").split())
    name = name.replace("•", "·").replace("・", "·")
    if not name:
        raise Invalid(_l("Enter your full name"))
    if not 2 <= len(name) <= 30:
        raise Invalid(_l("Your name must be between 2 and 30 characters"))
    if not NAME_PATTERN.match(name):
        raise Invalid(_l("Enter your name as it is on your ID card, in Chinese or Latin letters"))
    return name


def same_name(left, right):
    """Whether two names are the same after normalisation (case-insensitive for Latin)."""

    def norm(value):
        return " ".join(unicodedata.normalize("NFKC", value).split()).casefold()

    return norm(left) == norm(right)


def make_resident_id(region, born, sequence):
    """A checksum-valid ID number from its parts (demo data and tests)."""
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")
