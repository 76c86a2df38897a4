"""Who may order for whom. Every relay page starts here: a relay sees the households it
helps and their orders, nothing else of the hub; a relay of one hub nothing of another."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from foodhub.hubs.models import Hub
from orders.models import Customer, Order, OrderingRight
from orders.ordering_rights import live_rights, relay_hubs, right_for

__all__ = ["live_rights", "relay_hubs", "right_for"]  # the pages use them from here too


def get_relay_hub(user, slug: str) -> Hub:
    """The hub ``slug`` if ``user`` is one of its relays or managers, else 404."""
    return get_object_or_404(relay_hubs(user), slug=slug)


def helped_households(user, hub: Hub | None = None) -> QuerySet[Customer]:
    """The households ``user`` may order for (of ``hub``, if given): those that named it,
    and those it made a record of as a relay of their hub (while it still is one)."""
    rights = live_rights(user).filter(
        Q(origin=OrderingRight.Origin.GRANTED) | Q(customer__hub__in=relay_hubs(user))
    )
    households = Customer.objects.filter(pk__in=rights.values("customer_id"))
    if hub is not None:
        households = households.filter(hub=hub)
    return households


def orders_of_helped(customer: Customer) -> QuerySet[Order]:
    return (
        Order.objects.filter(customer=customer)
        .select_related("cycle", "cycle_pickup__pickup_point", "slot", "placed_by")
        .order_by("-placed_at", "-pk")
    )


def may_act_on_order(user, order: Order) -> bool:
    """Whether ``user`` may see, change or cancel ``order`` for its household."""
    if not user.is_authenticated or order.customer_id is None:
        return False
    customer = order.customer
    return right_for(user, customer) is not None
