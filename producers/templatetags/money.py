from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import dateformat, formats, timezone, translation
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def euros(value) -> str:
    """12.5 -> "12,50 €" in French, "€12.50" in English."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    number = formats.number_format(amount, 2, use_l10n=True, force_grouping=True)
    if (translation.get_language() or "fr").startswith("en"):
        return f"€{number}"
    return f"{number}\u00a0€"


@register.filter
def absolute(value):
    """The amount without its sign (a debt of -3.20 shown as "owes 3,20 €")."""
    return abs(value) if isinstance(value, Decimal | int) else value


@register.filter
def reference_price(variant) -> str:
    """The variant's price per kg or per litre, e.g. "2,25 €/kg", or ""."""
    return reference_price_at(variant, None)


@register.filter
def reference_price_at(variant, price) -> str:
    """The price per kg or per litre of ``variant`` sold at ``price`` (an offer's price)."""
    reference = variant.reference_price(price)
    if reference is None:
        return ""
    amount, unit = reference
    return f"{euros(amount)}/{unit}"


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template, or None."""
    return mapping.get(key) if mapping else None


@register.filter
def quantity(value) -> str:
    """A Decimal quantity without useless trailing zeros, localised: 0.500 -> 0,5."""
    if value is None:
        return ""
    value = Decimal(value).normalize()
    places = max(0, -value.as_tuple().exponent)
    return formats.number_format(value, places, use_l10n=True)


# Dates and times in words of the active language, in Europe/Paris time, one format per
# kind wherever a date is shown (pages, e-mails, documents):
# - a day: "mardi 24 novembre 2026" / "Tuesday 24 November 2026" ("1er" in French);
# - a time of day: "18:00" in both languages;
# - a moment: "mardi 24 novembre 2026, 18:00" / "Tuesday 24 November 2026, 18:00".
# Templates use these filters, never ``|date:"..."`` with a format of their own
# (tests/test_dates.py checks).
DAY_FORMAT = "l j F Y"
FIRST_DAY_FORMAT_FR = r"l j\e\r F Y"  # "mardi 1er décembre 2026"
CLOCK_FORMAT = "H:i"
# SMS only (160 characters): "mardi 24 nov." / "Tuesday 24 Nov.", no year.
SHORT_DAY_FORMAT = "l j N"
FIRST_SHORT_DAY_FORMAT_FR = r"l j\e\r N"
MONTH_FORMAT = "F Y"


def _local(value):
    if isinstance(value, datetime):
        return timezone.localtime(value, timezone.get_default_timezone())
    return value


@register.filter
def day(value) -> str:
    """A date (or the local date of a moment), e.g. "mardi 24 novembre 2026"."""
    if not value:
        return ""
    value = _local(value)
    french_first = value.day == 1 and (translation.get_language() or "fr").startswith("fr")
    return dateformat.format(value, FIRST_DAY_FORMAT_FR if french_first else DAY_FORMAT)


def short_day(value) -> str:
    """A date in few characters, for an SMS: "mardi 1er déc." / "Tuesday 1 Dec."."""
    if not value:
        return ""
    value = _local(value)
    french_first = value.day == 1 and (translation.get_language() or "fr").startswith("fr")
    return dateformat.format(value, FIRST_SHORT_DAY_FORMAT_FR if french_first else SHORT_DAY_FORMAT)


@register.filter
def month(value) -> str:
    """A month (any date in it, e.g. its first day), e.g. "novembre 2026"."""
    if not value:
        return ""
    return dateformat.format(_local(value), MONTH_FORMAT)


@register.filter
def clock(value) -> str:
    """A time of day (or the local time of a moment), e.g. "18:00"."""
    if value is None or value == "":
        return ""
    return dateformat.time_format(_local(value), CLOCK_FORMAT)


@register.filter
def moment(value) -> str:
    """A moment in local time, e.g. "mardi 24 novembre 2026, 18:00"."""
    if not value:
        return ""
    return _("%(day)s, %(time)s") % {"day": day(value), "time": clock(value)}
