"""``{% food_aid customer as aid %}``: the food allocation part of a household's balance
(``aid.left``), and whether part of it pays only the eligible products (``aid.restricted``)."""

from django import template

from foodhub import phones
from orders import ledger
from orders.models import AllocationPurse

register = template.Library()


@register.simple_tag
def food_aid(customer) -> dict:
    restricted = AllocationPurse.objects.filter(
        customer_id=customer.pk, left__gt=0, programme__eligible_only=True
    ).exists()
    return {"left": ledger.allocation_left(customer), "restricted": restricted}


@register.filter
def phone(value: str) -> str:
    """A phone number kept in E.164, as people read it."""
    return phones.display(value)
