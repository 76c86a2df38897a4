"""Who may see which pickup point, and the reads of distribution day."""

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from foodhub.collation import french
from foodhub.hubs.models import HubMembership
from foodhub.text import folded, french_sort_key
from orders.billing import counter, dues
from orders.checkout.selectors import paid_by_order
from orders.models import (
    AllocationPurse,
    BalanceEntry,
    CyclePickupPoint,
    Order,
    OrderCycle,
    OrderLine,
    Payment,
)
from orders.models.billing import ADJUSTMENT_KINDS

from .models import PickupPoint, PickupPointMembership

Role = PickupPointMembership.Role


def _managed_hubs(user) -> QuerySet:
    return HubMembership.objects.filter(user=user).values("hub")


# Each rule is a subquery on the point's id, not a join: OR-ed joins over several
# many-valued relations multiply rows (team x hubs x cycles) on every distribution tap.


def points_managed_by(user) -> QuerySet[PickupPoint]:
    """Points the user manages: as one of their coordinators, or as a manager of the hub
    that runs them. Hubs that only share a point do not manage it."""
    if not user.is_authenticated:
        return PickupPoint.objects.none()
    if user.is_superuser:
        return PickupPoint.objects.all()
    coordinated = PickupPointMembership.objects.filter(user=user, role=Role.COORDINATOR)
    return PickupPoint.objects.filter(
        Q(pk__in=coordinated.values("pickup_point")) | Q(owner_hub__in=_managed_hubs(user))
    )


def points_for(user) -> QuerySet[PickupPoint]:
    """Points whose pages the user may open: their team's, the ones they manage, the
    ones serving a hub they manage, and the ones where such a hub distributed before
    (its past distribution lists stay at hand after a sharing ends)."""
    if not user.is_authenticated:
        return PickupPoint.objects.none()
    if user.is_superuser:
        return PickupPoint.objects.all()
    hubs = _managed_hubs(user)
    team = PickupPointMembership.objects.filter(user=user).values("pickup_point")
    served = PickupPoint.hubs.through.objects.filter(hub__in=hubs).values("pickuppoint")
    used = CyclePickupPoint.objects.filter(cycle__hub__in=hubs).values("pickup_point")
    return PickupPoint.objects.filter(
        Q(pk__in=team) | Q(owner_hub__in=hubs) | Q(pk__in=served) | Q(pk__in=used)
    )


def is_on_team(user, point: PickupPoint) -> bool:
    return user.is_authenticated and point.memberships.filter(user=user).exists()


def can_manage(user, point: PickupPoint) -> bool:
    """Its coordinators, and the managers of the hub that runs it, edit the point, run
    its team and decide which other hubs share it."""
    return points_managed_by(user).filter(pk=point.pk).exists()


def can_see_private(user, point: PickupPoint) -> bool:
    """The access information (door code...) and the team are for the point's team and
    managers, not for the hubs that only share it."""
    return is_on_team(user, point) or can_manage(user, point)


def point_managers(point: PickupPoint) -> QuerySet:
    """The people who answer a hub's request to share the point (active accounts)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(pickup_memberships__pickup_point=point, pickup_memberships__role=Role.COORDINATOR)
            | Q(hub_memberships__hub__owned_pickup_points=point)
        )
        .distinct()
        .order_by("pk")
    )


# What anyone managing a hub may learn of a point before it serves their hub.
PUBLIC_FIELDS = ("slug", "name", "tiers_lieu", "postcode", "city")


def points_to_ask(hub, *, search: str = "", limit: int = 50) -> tuple[list[dict], int]:
    """The points ``hub`` could ask to use, as their public facts only (name, tiers-lieu,
    town: never the access information, contacts or team), in French order: the first
    ``limit`` matching ``search``, and how many match."""
    points = list(PickupPoint.objects.exclude(hubs=hub).values(*PUBLIC_FIELDS))
    if search:
        # In Python, like the households' search: accents, case and ligatures ignored on
        # SQLite and PostgreSQL alike (a site has a few hundred points at most).
        wanted = folded(search)
        points = [
            point
            for point in points
            if any(wanted in folded(point[field]) for field in PUBLIC_FIELDS[1:])
        ]
    points.sort(key=lambda point: french_sort_key(point["name"]))
    return points[:limit], len(points)


def get_team_point(user, slug: str) -> PickupPoint:
    """The point if the user may open its pages (``points_for``); 404 otherwise."""
    return get_object_or_404(points_for(user), slug=slug)


def cycles_at(point: PickupPoint, user) -> QuerySet[OrderCycle]:
    """The cycles with a pickup at this point that the user may run distribution for: all
    of them for its team, those of the hubs they manage for hub managers."""
    cycles = OrderCycle.objects.filter(pickups__pickup_point=point).exclude(
        status=OrderCycle.Status.DRAFT
    )
    if not is_on_team(user, point) and not user.is_superuser:
        cycles = cycles.filter(hub__memberships__user=user)
    return cycles.select_related("hub").distinct()


def distributions_at(point: PickupPoint, user) -> QuerySet[CyclePickupPoint]:
    """The point's distributions (a cycle's pickup there, with its day) that the user may
    run, the latest first."""
    return (
        CyclePickupPoint.objects.filter(pickup_point=point, cycle__in=cycles_at(point, user))
        .select_related("cycle__hub")
        .order_by("-pickup_date", "-pk")
    )


def distributions_coming(user, points, today) -> dict[int, list[CyclePickupPoint]]:
    """{point id: its pickups (cycle, day) from ``today`` on, soonest first}, in one query:
    every cycle's for a point's team, their hubs' cycles' for managers."""
    team = set(
        PickupPointMembership.objects.filter(user=user).values_list("pickup_point", flat=True)
    )
    pickups = (
        CyclePickupPoint.objects.filter(pickup_point__in=points, pickup_date__gte=today)
        .exclude(cycle__status=OrderCycle.Status.DRAFT)
        .select_related("cycle__hub")
        .order_by("pickup_date", "pk")
    )
    if not user.is_superuser:
        pickups = pickups.filter(
            Q(pickup_point__in=team) | Q(cycle__hub__memberships__user=user)
        ).distinct()
    coming: dict[int, list[CyclePickupPoint]] = {}
    for pickup in pickups:
        coming.setdefault(pickup.pickup_point_id, []).append(pickup)
    return coming


def get_distribution_cycle(user, point: PickupPoint, cycle_pk: int) -> OrderCycle:
    return get_object_or_404(cycles_at(point, user), pk=cycle_pk)


@dataclass
class Household:
    """One row of the distribution list."""

    order: Order
    units: int
    paid: Decimal

    @cached_property
    def owed(self) -> dues.Owed:
        """What the household owes today: the order, after its credit, and its debt."""
        customer = self.order.customer
        balance = customer.balance if customer else Decimal("0.00")
        if balance > 0 and (getattr(self.order, "restricted_aid", None) or 0) > 0:
            # Food aid that pays only the products the hub marks: what it may pay of this
            # order is counted line by line (a few queries, for these households only).
            return counter.owed_today(self.order, paid=self.paid)
        return dues.owed(self.order, paid=self.paid, balance=balance)

    @property
    def due(self) -> Decimal:
        return self.owed.today

    @property
    def final_total(self) -> Decimal:
        """What the order costs now: its total less its adjustments after the close
        (weights, shortages, corrections), the sum of its lines' final totals."""
        adjusted = getattr(self.order, "adjusted", None) or Decimal("0.00")
        return self.order.total - Decimal(adjusted).quantize(Decimal("0.01"))


def distribution_orders(point: PickupPoint, cycle: OrderCycle) -> QuerySet[Order]:
    """The orders here, with what a row shows (slot, who handed it over, units delivered,
    the household's balance with the hub, the adjustments since the close)."""
    adjustments = (
        BalanceEntry.objects.filter(order=OuterRef("pk"), kind__in=ADJUSTMENT_KINDS)
        .order_by()
        .values("order")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    restricted_aid = (
        AllocationPurse.objects.filter(
            customer=OuterRef("customer_id"), programme__eligible_only=True, left__gt=0
        )
        .order_by()
        .values("customer")
        .annotate(total=Sum("left"))
        .values("total")
    )
    return (
        orders_here(point, cycle)
        .select_related("slot", "collected_by", "customer")
        .annotate(
            units=Sum(Coalesce("lines__delivered_quantity", "lines__quantity")),
            adjusted=Subquery(adjustments, output_field=DecimalField()),
            restricted_aid=Subquery(restricted_aid, output_field=DecimalField()),
        )
    )


def households(
    point: PickupPoint, cycle: OrderCycle, *, search: str = "", only=None
) -> list[Household]:
    """Every household with an order here, sorted by name (French order); with ``only``,
    those of these orders' ids."""
    orders = distribution_orders(point, cycle)
    if only is not None:
        orders = orders.filter(pk__in=only)
    orders = list(orders)
    if search:
        # In Python, not SQL: "emile" finds "Émile" on SQLite and PostgreSQL alike (a
        # point's list is a few hundred rows at most).
        wanted = folded(search)
        orders = [
            order
            for order in orders
            if any(wanted in folded(text) for text in (order.full_name, order.number, order.email))
        ]
    paid = paid_by_order([order.pk for order in orders])
    rows = [
        Household(order=order, units=order.units or 0, paid=paid.get(order.pk, Decimal("0.00")))
        for order in orders
    ]
    rows.sort(key=lambda row: french_sort_key(row.order.full_name))
    return rows


def orders_here(point: PickupPoint, cycle: OrderCycle) -> QuerySet[Order]:
    """The live orders to hand over at this point for this cycle."""
    return Order.objects.live().filter(cycle=cycle, cycle_pickup__pickup_point=point)


def counts(point: PickupPoint, cycle: OrderCycle) -> dict[str, int]:
    figures = orders_here(point, cycle).aggregate(
        expected=Count("pk"), collected=Count("pk", filter=Q(collected_at__isnull=False))
    )
    return {**figures, "left": figures["expected"] - figures["collected"]}


def household(point: PickupPoint, cycle: OrderCycle, order_pk: int, *, detail=False) -> Household:
    """One household's row; with ``detail``, its lines and payments too (the order page)."""
    orders = distribution_orders(point, cycle)
    if detail:
        orders = orders.prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.order_by(
                    french("producer_name"), french("product_name")
                ),
            ),
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")),
        )
    order = get_object_or_404(orders, pk=order_pk)
    paid = paid_by_order([order.pk]).get(order.pk, Decimal("0.00"))
    return Household(order=order, units=order.units or 0, paid=paid)
