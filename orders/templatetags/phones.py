"""``{{ number|phone }}``: a stored E.164 number as people read it (foodhub.phones)."""

from django import template

from foodhub import phones

register = template.Library()


@register.filter
def phone(value) -> str:
    return phones.display(str(value or ""))
