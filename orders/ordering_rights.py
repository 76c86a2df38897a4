"""Who may order for a household: the relays of its hub who made its record, and the
people it named (``OrderingRight``). The checkout asks this on every request of someone
ordering for a household; the relay pages (``orders.relays``) are built on it."""

from django.db.models import Q, QuerySet

from foodhub.hubs.models import Hub
from orders.models import Customer, OrderingRight


def relay_hubs(user) -> QuerySet[Hub]:
    """The hubs where ``user`` may make households' records and order for them: those it
    is a relay of, and those it manages."""
    if not user.is_authenticated:
        return Hub.objects.none()
    return Hub.objects.filter(Q(relays__user=user) | Q(memberships__user=user)).distinct()


def live_rights(user) -> QuerySet[OrderingRight]:
    if not user.is_authenticated:
        return OrderingRight.objects.none()
    return OrderingRight.objects.filter(user=user, withdrawn_at__isnull=True)


def right_for(user, customer: Customer) -> OrderingRight | None:
    """``user``'s live right to order for ``customer``; a relay must still be one (a relay
    removed from the hub loses the households it helped)."""
    right = live_rights(user).filter(customer=customer).first()
    if right is None:
        return None
    if (
        right.origin == OrderingRight.Origin.RELAY
        and not relay_hubs(user).filter(pk=customer.hub_id).exists()
    ):
        return None
    return right
