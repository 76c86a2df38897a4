"""The "my balance" links of "my orders": one per hub the household is a customer of."""

from django import template

from orders.models import Customer

register = template.Library()


@register.simple_tag
def balances_of(user):
    """The household's customer records (one per hub), with their hubs, by hub name."""
    if not user.is_authenticated:
        return []
    return list(Customer.objects.filter(user=user).select_related("hub").order_by("hub__name"))
