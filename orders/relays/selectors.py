"""Who may order for whom. Every relay page starts here: a relay sees the households it
helps and their orders, nothing else of the hub; a relay of one hub nothing of another."""

from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from foodhub.hubs.models import Hub
from orders.models import Customer, Order, OrderingRight


def relay_hubs(user) -> QuerySet[Hub]:
    """The hubs where ``user`` may make households' records and order for them: those it
    is a relay of, and those it manages."""
    if not user.is_authenticated:
        return Hub.objects.none()
    return Hub.objects.filter(Q(relays__user=user) | Q(memberships__user=user)).distinct()


def get_relay_hub(user, slug: str) -> Hub:
    """The hub ``slug`` if ``user`` is one of its relays or managers, else 404."""
    return get_object_or_404(relay_hubs(user), slug=slug)


def live_rights(user) -> QuerySet[OrderingRight]:
    if not user.is_authenticated:
        return OrderingRight.objects.none()
    return OrderingRight.objects.filter(user=user, withdrawn_at__isnull=True)


def helped_households(user, hub: Hub | None = None) -> QuerySet[Customer]:
    """The households ``user`` may order for (of ``hub``, if given)."""
    households = Customer.objects.filter(
        ordering_rights__in=live_rights(user).values("pk")
    ).select_related("hub")
    if hub is not None:
        households = households.filter(hub=hub)
    return households


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


def helped_household_or_404(user, hub: Hub, pk) -> Customer:
    """The household ``pk`` of ``hub`` that ``user`` may order for, else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise Http404 from None
    customer = get_object_or_404(Customer.objects.select_related("hub", "user"), pk=pk, hub=hub)
    if right_for(user, customer) is None:
        raise Http404
    return customer


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
