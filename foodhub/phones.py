"""Phone numbers as people type them, kept in E.164 (``+33612345678``).

Parsed and validated with ``phonenumbers`` (Google's libphonenumber): "06 12 34 56 78",
"06.12.34.56.78", "+33 6 12 34 56 78" and "0033612345678" are the same number. A number
without a country code is read as French (the hubs are in France); a Belgian neighbour types
"+32 …". Shown back in the national format for French numbers ("06 12 34 56 78"), in the
international one for others.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

REGION = "FR"
MAX_INPUT = 40  # longer input is not a phone number, whatever it holds

INVALID = _("Enter a phone number, such as 06 12 34 56 78 or +33 6 12 34 56 78.")


def parse(value: str, *, region: str = REGION) -> phonenumbers.PhoneNumber | None:
    """The number ``value`` holds, or None when it holds no valid number."""
    value = " ".join(str(value).split())
    if not value or len(value) > MAX_INPUT or not value.isascii() or "\x00" in value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return number


def to_e164(value: str, *, region: str = REGION) -> str:
    """``value`` in E.164, or "" when empty; ValidationError when it is not a number."""
    if not " ".join(str(value).split()):
        return ""
    number = parse(value, region=region)
    if number is None:
        raise ValidationError(INVALID, code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number can receive SMS (a mobile, or a number that may be one)."""
    number = parse(e164)
    if number is None:
        return False
    return phonenumbers.number_type(number) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def display(value: str) -> str:
    """A stored number as people read it; ``value`` unchanged if it is not a number (older
    records typed freely)."""
    number = parse(value) if value else None
    if number is None:
        return value
    if number.country_code == phonenumbers.country_code_for_region(REGION):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
