"""Ordering for a household one helps: the shop, the basket and checkout of the hub, for
that household (``orders.relays``).

The session remembers, per hub, the household being ordered for; every request checks the
right again (withdrawn, or the relay removed from the hub: the shop is one's own again).
"""

from orders.models import Customer
from orders.ordering_rights import right_for

SESSION_KEY = "ordering_for"


def start(request, customer: Customer) -> None:
    chosen = dict(request.session.get(SESSION_KEY, {}))
    chosen[str(customer.hub_id)] = customer.pk
    request.session[SESSION_KEY] = chosen
    request._ordering_for = {}


def stop(request, hub) -> None:
    chosen = dict(request.session.get(SESSION_KEY, {}))
    if chosen.pop(str(hub.pk), None) is not None:
        request.session[SESSION_KEY] = chosen
    request._ordering_for = {}


def household(request, hub) -> Customer | None:
    """The household ``request.user`` is ordering for in ``hub``, if any (and still may)."""
    if not request.user.is_authenticated:
        return None
    cache = request.__dict__.setdefault("_ordering_for", {})
    if hub.pk in cache:
        return cache[hub.pk]
    pk = request.session.get(SESSION_KEY, {}).get(str(hub.pk))
    customer = None
    if isinstance(pk, int):
        customer = Customer.objects.filter(pk=pk, hub_id=hub.pk).select_related("user").first()
        if customer is not None and right_for(request.user, customer) is None:
            customer = None
        if customer is None:
            stop(request, hub)
    cache[hub.pk] = customer
    return customer
