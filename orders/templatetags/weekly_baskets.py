"""What a weekly basket's run left out, and why, in the reader's language."""

from django import template

from orders.weekly_baskets import weekly

register = template.Library()


@register.filter
def run_reason(code: str) -> str:
    """Why a basket was not placed: "Every pickup slot at your pickup point is full."."""
    return weekly.reason_text(code) if code else ""


@register.filter
def problem_reason(code: str) -> str:
    """Why an item was left out or cut: "sold out", "not enough left"..."""
    return weekly.problem_reason_text(code) if code else ""
