"""Moments on the manager's cycle pages, on the Paris wall clock and in one pattern in both
languages (``orders.cycles.paris_text``)."""

from datetime import datetime

from django import template
from django.utils import formats

from orders.cycles import DAY_FORMAT, SHORT_DATETIME_FORMAT, paris_text

register = template.Library()


@register.filter
def paris_datetime(moment) -> str:
    """ "vendredi 6 mars 2026, 18:00" / "Friday 6 March 2026, 18:00"."""
    return paris_text(moment) if moment else ""


@register.filter
def paris_short(moment) -> str:
    """ "ven. 6 mars 2026, 18:00" / "Fri 6 Mar 2026, 18:00"."""
    return paris_text(moment, SHORT_DATETIME_FORMAT) if moment else ""


@register.filter
def paris_day(day) -> str:
    """A day (a pickup date, or the day of a moment in Paris): "jeu 19 mars 2026" /
    "Thu 19 March 2026"."""
    if not day:
        return ""
    if isinstance(day, datetime):
        return paris_text(day, DAY_FORMAT)
    return formats.date_format(day, DAY_FORMAT)


@register.filter
def join_days(days) -> str:
    """Pickup days, each as ``paris_day``, separated by commas."""
    return ", ".join(paris_day(day) for day in days)
