"""Figures of a hub's cycles for its managers: its cycles by phase with the open one at a
glance, the trend over past cycles (a bar chart drawn as a table), and CSV reports for the
accounts."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from foodhub.collation import french
from orders import pricing
from orders.checkout.selectors import paid_by_order
from orders.checkout.services import amounts_of
from orders.models import Order, OrderCycle, OrderLine, Payment

from .documents import csv_bytes

ZERO = Decimal("0.00")


def _by_opening(cycles):
    return cycles.order_by("opens_at", "closes_at", "pk")


@dataclass
class CycleOverview:
    cycle: OrderCycle
    orders: int
    revenue: Decimal
    fees: Decimal
    paid: Decimal
    due: Decimal
    awaiting_card: int
    collected: int
    producers: list  # (name, units, goods total)
    slots: list  # (point, slot, orders, capacity)


def overview(cycle: OrderCycle) -> CycleOverview:
    live = cycle.orders.live()
    totals = live.aggregate(
        orders=Count("pk"),
        revenue=Sum("total"),
        fees=Sum("fee_total"),
        awaiting=Count("pk", filter=Q(status=Order.Status.AWAITING_PAYMENT)),
        collected=Count("pk", filter=Q(collected_at__isnull=False)),
    )
    money = Payment.objects.filter(order__in=live, status=Payment.Status.SUCCEEDED).aggregate(
        paid_in=Sum("amount", filter=Q(kind=Payment.Kind.PAYMENT)),
        paid_out=Sum("amount", filter=Q(kind=Payment.Kind.REFUND)),
    )
    paid_in, paid_out = money["paid_in"] or ZERO, money["paid_out"] or ZERO
    revenue = totals["revenue"] or ZERO
    producers = (
        OrderLine.objects.filter(order__in=live)
        .values("producer_name")
        .annotate(units=Sum("quantity"), goods=Sum("total"))
        .order_by(french("producer_name"))
    )
    slots = (
        cycle.pickups.select_related("pickup_point")
        .prefetch_related("slots")
        .order_by(french("pickup_point__name"))
    )
    return CycleOverview(
        cycle=cycle,
        orders=totals["orders"],
        revenue=revenue,
        fees=totals["fees"] or ZERO,
        paid=paid_in - paid_out,
        due=max(revenue - (paid_in - paid_out), ZERO),
        awaiting_card=totals["awaiting"],
        collected=totals["collected"],
        producers=[(p["producer_name"], p["units"], p["goods"]) for p in producers],
        slots=[
            (pickup.pickup_point.name, slot, slot.booked, slot.capacity)
            for pickup in slots
            for slot in pickup.slots.all()
        ],
    )


@dataclass
class HubCycles:
    """A hub's cycles by phase, as its dashboard shows them: each open cycle with its
    figures (normally one; cycles that overlap from before that was refused each show),
    the coming ones, the drafts, and the last closed one with its figures."""

    open: list  # CycleOverview, the first opened first
    upcoming: list  # OrderCycle, the next first
    drafts: list  # OrderCycle, by opening
    last_closed: CycleOverview | None

    def __bool__(self) -> bool:
        return bool(self.open or self.upcoming or self.drafts or self.last_closed)


def hub_cycles(hub, *, now=None, listed: int = 5) -> HubCycles:
    """``HubCycles`` of ``hub`` (``listed`` upcoming cycles and drafts at most)."""
    now = now or timezone.now()
    published = hub.order_cycles.filter(status=OrderCycle.Status.PUBLISHED)
    open_cycles = _by_opening(published.filter(opens_at__lte=now, closes_at__gt=now))
    last_closed = published.filter(closes_at__lte=now).order_by("-closes_at", "-pk").first()
    return HubCycles(
        open=[overview(cycle) for cycle in open_cycles],
        upcoming=list(_by_opening(published.filter(opens_at__gt=now))[:listed]),
        drafts=list(_by_opening(hub.order_cycles.filter(status=OrderCycle.Status.DRAFT))[:listed]),
        last_closed=overview(last_closed) if last_closed else None,
    )


@dataclass
class Chart:
    """Orders and revenue of the last closed cycles, oldest first: each bar's length is a
    share of the largest (``orders_pc``, ``revenue_pc``), drawn by a table's cells."""

    bars: list = field(default_factory=list)  # dicts: cycle, orders, revenue, *_pc


def history(hub, *, cycles: int = 8, now=None) -> Chart:
    """The last ``cycles`` closed cycles (open ones are not past): one query."""
    now = now or timezone.now()
    past = list(
        hub.order_cycles.filter(status=OrderCycle.Status.PUBLISHED, closes_at__lte=now)
        .annotate(
            live_orders=Count("orders", filter=Q(orders__status__in=Order.LIVE_STATUSES)),
            revenue=Sum("orders__total", filter=Q(orders__status__in=Order.LIVE_STATUSES)),
        )
        .order_by("-closes_at", "-pk")[:cycles]
    )[::-1]
    most_orders = max((c.live_orders for c in past), default=0) or 1
    most_revenue = max((c.revenue or ZERO for c in past), default=ZERO) or Decimal(1)
    return Chart(
        bars=[
            {
                "cycle": cycle,
                "orders": cycle.live_orders,
                "revenue": cycle.revenue or ZERO,
                "orders_pc": round(100 * cycle.live_orders / most_orders),
                "revenue_pc": round(100 * (cycle.revenue or ZERO) / most_revenue),
            }
            for cycle in past
        ]
    )


# CSV reports of a cycle


def _live_orders(cycle):
    return cycle.orders.live().order_by("number")


def suppliers_csv(cycle: OrderCycle) -> bytes:
    """Per producer and variant: units, amount and VAT. The VAT is added up line by line,
    as each line shows it (orders.pricing.LineAmounts), so it is what a producer invoices;
    the VAT report rounds per order and rate, and may differ from it by a few cents."""
    lines = (
        OrderLine.objects.filter(order__in=cycle.orders.live())
        .values_list("producer_name", "product_name", "variant_name", "vat_rate", "quantity",
                     "total")
        .order_by(french("producer_name"), french("product_name"), french("variant_name"))
    )  # fmt: skip
    rows: dict[tuple, list] = {}
    for producer, product, variant, rate, quantity, total in lines:
        row = rows.setdefault((producer, product, variant, rate), [0, ZERO, ZERO])
        row[0] += quantity
        row[1] += total
        row[2] += pricing.vat_included(total, rate)
    return csv_bytes(
        ["producer", "product", "variant", "vat_rate", "units", "total_incl_vat", "vat"],
        ([*key, units, total, vat] for key, (units, total, vat) in rows.items()),
    )


def customers_csv(cycle: OrderCycle) -> bytes:
    orders = list(_live_orders(cycle).select_related("slot", "cycle_pickup__pickup_point"))
    paid = paid_by_order([o.pk for o in orders])
    return csv_bytes(
        ["order", "household", "email", "phone", "pickup_point", "slot", "payment", "goods",
         "fee", "total", "paid", "due"],
        (
            [o.number, o.full_name, o.email, o.phone, o.cycle_pickup.pickup_point.name,
             str(o.slot), o.get_payment_method_display(), o.goods_total, o.fee_total, o.total,
             paid.get(o.pk, ZERO), max(o.total - paid.get(o.pk, ZERO), ZERO)]
            for o in orders
        ),
    )  # fmt: skip


def payments_csv(cycle: OrderCycle) -> bytes:
    payments = (
        Payment.objects.filter(order__cycle=cycle)
        .select_related("order", "recorded_by")
        .order_by("created_at", "pk")
    )
    return csv_bytes(
        ["date", "order", "household", "method", "kind", "status", "amount", "recorded_by",
         "stripe_payment_intent"],
        (
            [p.created_at, p.order.number,
             p.order.full_name, p.get_method_display(), p.get_kind_display(),
             p.get_status_display(), p.amount,
             p.recorded_by.email if p.recorded_by else "", p.stripe_payment_intent]
            for p in payments
        ),
    )  # fmt: skip


def vat_csv(cycle: OrderCycle) -> bytes:
    """VAT per rate over the cycle's live orders, goods and hub fees together, as each
    order's own breakdown adds up (the rounding rules of orders.pricing)."""
    bases: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    vats: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for order in _live_orders(cycle).select_related("cycle").prefetch_related("lines"):
        for row in amounts_of(order).vat_rows:
            bases[row.rate] += row.base
            vats[row.rate] += row.vat
    return csv_bytes(
        ["vat_rate", "excl_vat", "vat", "incl_vat"],
        ([rate, bases[rate] - vats[rate], vats[rate], bases[rate]] for rate in sorted(bases)),
    )


def fees_csv(cycle: OrderCycle) -> bytes:
    rate = cycle.fee_vat_rate_decimal
    return csv_bytes(
        ["order", "household", "goods", "fee_incl_vat", "fee_vat_rate", "fee_vat"],
        (
            [o.number, o.full_name, o.goods_total, o.fee_total, rate,
             pricing.vat_included(o.fee_total, rate)]
            for o in _live_orders(cycle)
        ),
    )  # fmt: skip


REPORTS = {
    "suppliers": suppliers_csv,
    "customers": customers_csv,
    "payments": payments_csv,
    "vat": vat_csv,
    "fees": fees_csv,
}
