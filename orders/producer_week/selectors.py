"""What a producer sees of its week: one ``CycleWeek`` per cycle it sells in."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch
from django.utils import timezone

from foodhub.collation import french
from orders.models import CyclePickupPoint, Offer, Order, OrderCycle, OrderLine
from orders.pricing import ZERO

# A closed cycle stays on the page for a week after its close: the time to deliver it.
SHOWN_AFTER_CLOSE = timedelta(days=7)
MAX_CYCLES = 20


@dataclass
class VariantWeek:
    product_name: str
    variant_name: str
    quantity: int = 0  # what comes (after a shortage or a correction: what is delivered)
    revenue: Decimal = ZERO  # at full price: what the producer is paid (solidarity aside)


@dataclass
class CycleWeek:
    cycle: OrderCycle
    final: bool  # closed: the figures no longer move but through weights and shortages
    pickups: list
    variants: list[VariantWeek] = field(default_factory=list)
    by_weight: bool = False

    @property
    def revenue(self) -> Decimal:
        return sum((v.revenue for v in self.variants), ZERO)

    @property
    def first_pickup(self):
        return self.pickups[0].pickup_date if self.pickups else None


def producer_cycles(producer, now=None):
    """The published cycles offering something of ``producer``: open ones, and those closed
    less than ``SHOWN_AFTER_CLOSE`` ago, the soonest to close first."""
    now = now or timezone.now()
    offers = Offer.objects.filter(cycle=OuterRef("pk"), variant__product__producer=producer)
    pickups = CyclePickupPoint.objects.select_related("pickup_point").order_by(
        "pickup_date", french("pickup_point__name")
    )
    return (
        OrderCycle.objects.filter(
            Exists(offers),
            status=OrderCycle.Status.PUBLISHED,
            opens_at__lte=now,
            closes_at__gt=now - SHOWN_AFTER_CLOSE,
        )
        .select_related("hub")
        .prefetch_related(Prefetch("pickups", queryset=pickups))
        .order_by("closes_at", "pk")[:MAX_CYCLES]
    )


def producer_week(producer, now=None) -> list[CycleWeek]:
    """Per cycle, per variant: what was ordered of ``producer`` so far and what it is paid
    for it at full price (``OrderLine.full_final_total``: a household at a solidarity tier
    pays less, the hub's solidarity fund pays the rest, the producer gets the full price).
    Three queries, whatever the number of cycles and lines."""
    now = now or timezone.now()
    cycles = list(producer_cycles(producer, now))
    weeks = {
        c.pk: CycleWeek(cycle=c, final=not c.is_open(now), pickups=list(c.pickups.all()))
        for c in cycles
    }
    lines = (
        OrderLine.objects.filter(
            order__cycle__in=list(weeks), order__status__in=Order.LIVE_STATUSES, producer=producer
        )
        .only(
            "order__cycle",
            "variant",
            "product_name",
            "variant_name",
            "quantity",
            "unit_price",
            "total",
            "price_per_kg",
            "actual_weight",
            "delivered_quantity",
            "estimated_weight",
        )  # fmt: skip
        .select_related("order")
        .order_by(french("product_name"), french("variant_name"), "pk")
    )
    rows: dict[int, dict[int, VariantWeek]] = defaultdict(dict)
    for line in lines.iterator(chunk_size=2000):
        week = weeks[line.order.cycle_id]
        row = rows[week.cycle.pk].get(line.variant_id)
        if row is None:
            row = rows[week.cycle.pk][line.variant_id] = VariantWeek(
                line.product_name, line.variant_name
            )
            week.variants.append(row)
        row.quantity += line.final_quantity
        row.revenue += line.full_final_total
        week.by_weight = week.by_weight or line.price_per_kg is not None
    return list(weeks.values())
