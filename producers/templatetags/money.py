from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import dateformat, formats, timezone, translation

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


# Dates and times in words of the active language, in Europe/Paris time:
# "mardi 24 novembre, 18:00" / "Tuesday 24 November, 18:00".
DAY_FORMAT = "l j F"
MOMENT_FORMAT = "l j F, H:i"


@register.filter
def day(value) -> str:
    """A date (or the local date of a moment), e.g. "mardi 24 novembre"."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return dateformat.format(value, DAY_FORMAT)


@register.filter
def moment(value) -> str:
    """A moment in local time, e.g. "mardi 24 novembre, 18:00"."""
    if not value:
        return ""
    return dateformat.format(timezone.localtime(value), MOMENT_FORMAT)
