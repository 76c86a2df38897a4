"""Reads for the shop and for households' orders, in a bounded number of queries."""

from datetime import datetime
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db.models import Count, Exists, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from foodhub.collation import french
from foodhub.text import folded
from orders import ledger
from orders.models import (
    BalanceEntry,
    Customer,
    CyclePickupPoint,
    Offer,
    Order,
    OrderCycle,
    Payment,
    PickupSlot,
)
from orders.pricing import money
from producers.models import Category, Producer, Variant

# The shop's search looks for this many words at most (the rest of a long query is noise).
SEARCH_WORDS = 8


def paid_by_order(order_ids) -> dict[int, Decimal]:
    """What each order has been paid, refunds deducted, in two queries (orders without a
    payment are left out): its payments, plus the credit used for it, less the part of its
    payments that went to the balance (change kept, a debt settled: ``orders.billing``)."""
    order_ids = list(order_ids)
    totals: dict[int, Decimal] = BalanceEntry.objects.moved_to_orders(order_ids)
    rows = (
        Payment.objects.filter(order__in=order_ids, status=Payment.Status.SUCCEEDED)
        .values("order_id", "kind")
        .annotate(sum=Sum("amount"))
    )
    for row in rows:
        sign = 1 if row["kind"] == Payment.Kind.PAYMENT else -1
        # SQLite adds decimals up as floats (10.1900000000000): back to cents.
        amount = sign * money(row["sum"])
        totals[row["order_id"]] = totals.get(row["order_id"], Decimal("0.00")) + amount
    return totals


def available_credit(user, hub, order: Order | None = None) -> Decimal:
    """The credit a logged-in household has with ``hub`` for an order (with what ``order``,
    being changed, already takes of it): what checkout uses (``services``)."""
    if not user.is_authenticated:
        return Decimal("0.00")
    balance = Customer.objects.filter(hub=hub, user=user).values_list("balance", flat=True)
    available = balance.first() or Decimal("0.00")
    if order is not None and order.user_id == user.pk:
        available += ledger.credit_used(order)
    return max(available, Decimal("0.00"))


def current_cycle(hub, now: datetime | None = None) -> OrderCycle | None:
    """The hub's open cycle, else its next one.

    Published cycles no longer overlap (``orders.cycles``); of two that did before, the shop
    keeps showing the one that opened first until it closes, as the dashboard says."""
    now = now or timezone.now()
    published = OrderCycle.objects.filter(hub=hub, status=OrderCycle.Status.PUBLISHED)
    open_cycle = published.filter(opens_at__lte=now, closes_at__gt=now).order_by(
        "opens_at", "closes_at", "pk"
    )
    return open_cycle.first() or published.filter(opens_at__gt=now).order_by("opens_at").first()


def variants_for_hub(hub, *, producer: Producer | None = None) -> QuerySet[Variant]:
    """Variants a hub may offer: on sale, of an active product of one of its producers."""
    variants = Variant.objects.filter(
        product__producer__hubs=hub, is_active=True, product__is_active=True
    )
    if producer is not None:
        variants = variants.filter(product__producer=producer)
    return variants.select_related("product__producer").order_by(
        french("product__producer__name"), french("product__name"), "quantity_per_unit", "pk"
    )


def shop_offers(
    cycle: OrderCycle,
    *,
    search: str = "",
    category: str = "",
    producer: str = "",
    group_by: str = "producer",
) -> QuerySet[Offer]:
    """Offers on sale in the cycle, with everything a shop row shows loaded in two queries.

    Offers of a variant or product taken off sale are not shown (stock of those is 0).
    """
    offers = Offer.objects.filter(
        cycle=cycle, variant__is_active=True, variant__product__is_active=True
    ).select_related(
        "variant__product__producer",
        "variant__product__category",
    )
    # Each word of the search, folded like the stored text (no accents, case or
    # ligatures: "oeufs" finds "Œufs"), is somewhere in the product, variant, producer,
    # category or label names.
    for word in folded(search).split()[:SEARCH_WORDS]:
        offers = offers.filter(variant__search_text__contains=word)
    if category:
        offers = offers.filter(variant__product__category__slug=category)
    if producer:
        offers = offers.filter(variant__product__producer__slug=producer)
    if group_by == "category":
        order = ["variant__product__category__position", french("variant__product__category__name")]
    else:
        order = [french("variant__product__producer__name")]
    order += [french("variant__product__name"), "variant__quantity_per_unit", "pk"]
    return offers.order_by(*order).prefetch_related("variant__product__labels")


def shop_filters(cycle: OrderCycle) -> dict:
    """The categories and producers that have something on sale in the cycle."""
    on_sale = {
        "products__variants__offers__cycle": cycle,
        "products__variants__is_active": True,
        "products__is_active": True,
    }
    # The ids on sale first, then the few rows they name sorted: sorting (in French) the
    # rows of the join, one per offer, before removing repeats costs a sort of thousands.
    categories = Category.objects.filter(**on_sale).values("pk")
    producers = Producer.objects.filter(**on_sale).values("pk")
    return {
        "categories": Category.objects.filter(pk__in=categories).order_by(
            "position", french("name")
        ),
        "producers": Producer.objects.filter(pk__in=producers).order_by(french("name")),
    }


def pickups_with_slots(cycle: OrderCycle):
    """The cycle's pickup points, each with its slots (``booked`` tells how full)."""
    slots = PickupSlot.objects.order_by("starts_at", "pk")
    return (
        CyclePickupPoint.objects.filter(cycle=cycle)
        .select_related("pickup_point")
        .prefetch_related(Prefetch("slots", queryset=slots))
    )


def orders_of(user) -> QuerySet[Order]:
    return (
        Order.objects.filter(user=user)
        .select_related("cycle__hub", "cycle_pickup__pickup_point", "slot", "invoice")
        .annotate(line_count=Count("lines"))
        .order_by("-placed_at", "-pk")
    )


def live_order(cycle: OrderCycle, email: str) -> Order | None:
    """The household's live order in the cycle (there is at most one)."""
    return Order.objects.live().filter(cycle=cycle, email=email.strip().lower()).first()


def live_order_of(cycle: OrderCycle, user) -> Order | None:
    """The logged-in household's live order in the cycle: one of its account, or one placed
    with its address if the account has verified that address (typing it proves nothing)."""
    if not user.is_authenticated:
        return None
    verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True)
    return (
        Order.objects.live()
        .filter(cycle=cycle, email=user.email.strip().lower())
        .filter(Q(user=user) | Exists(verified))
        .first()
    )


def order_for_page(**lookup) -> Order:
    return (
        Order.objects.select_related(
            "cycle__hub", "cycle_pickup__pickup_point", "slot", "user", "placed_by"
        )
        .prefetch_related("lines", "payments")
        .get(**lookup)
    )
