"""Dates on the manager's cycle pages that the shared filters (``producers`` ``money``:
``day``, ``clock``, ``moment``) do not cover alone."""

from django import template

from producers.templatetags.money import day

register = template.Library()


@register.filter
def join_days(days) -> str:
    """Pickup days, each as ``day`` writes it, separated by commas."""
    return ", ".join(day(each) for each in days)
