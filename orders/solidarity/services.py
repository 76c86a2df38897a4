"""Solidarity prices, as the checkout and the after-close adjustments use them.

A household of a hub with solidarity prices on chooses a tier (reduced, normal,
supporting); its order's lines stand for the tier's percentage (``OrderLine.price_percent``)
and cost that much of their price (``orders.pricing`` rule 8). The producers are paid the
full price; the difference is the hub's solidarity fund's:

1. Placing, changing or cancelling an order (the order locked, or being written) brings
   its fund entries to what its lines say: ``follow_order`` adds one entry, the target
   (each line at its tier less the same at full price; zero once cancelled) less what the
   order's entries already add up to. Entries are never changed or removed.
2. After the close, a weight, a shortage or a correction changes a line's price at its
   tier and at full price alike: ``follow_line`` adds what that change moves in the fund,
   under the line's lock, with the ledger entry of the household.
3. The reduced price costs the fund: an order asking for it locks its cycle's row
   (``SolidarityCycle``) and is refused when the support of the cycle would pass the hub's
   cap; the reduced price is then closed for the rest of the cycle (``close_lower_tier``,
   after the refused order's transaction is undone) and households see why.

Which tier a household chose is private: the fund is shown as totals.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import (
    Order,
    OrderCycle,
    OrderLine,
    PriceTier,
    SolidarityCycle,
    SolidarityEntry,
    SolidaritySettings,
)
from orders.pricing import ZERO
from orders.stock import OrderError

CENT = Decimal("0.01")


class TierClosed(OrderError):
    """The reduced price cannot be given (the cap of the cycle is reached)."""


def settings_of(hub) -> SolidaritySettings | None:
    """The hub's solidarity prices when they are on, else None (no query when the hub was
    read with ``select_related("solidarity")``)."""
    try:
        found = hub.solidarity
    except SolidaritySettings.DoesNotExist:
        return None
    return found if found.enabled else None


def percent_of(settings: SolidaritySettings | None, tier: str) -> int:
    """The percentage of the price a household of ``tier`` pays (100 when the hub has no
    solidarity prices)."""
    if settings is None:
        return 100
    return settings.percent(tier)


def checked_tier(settings: SolidaritySettings | None, tier: str | None) -> str:
    """A tier the hub offers: the normal price when it has none (or none was chosen)."""
    if settings is None or not tier:
        return PriceTier.MIDDLE
    if tier not in PriceTier.values:
        raise OrderError(_("Choose one of the three prices."))
    return tier


def line_fund(line: OrderLine) -> Decimal:
    """What a line gives the fund now (negative: what it takes)."""
    return line.final_total - line.full_final_total


def follow_order(
    order: Order, *, key: str, lines=None, placing: bool = False
) -> SolidarityEntry | None:
    """Bring ``order``'s fund entries to what its lines say (step 1): the order is locked
    or being written by the caller's transaction (``placing``: it has no entry yet)."""
    if order.is_live:
        lines = list(order.lines.all()) if lines is None else lines
        target = sum((line_fund(line) for line in lines), ZERO)
    else:
        target = ZERO
    if placing:
        return _add(order, target, key) if target else None
    return _add(order, target - recorded(order), key)


def follow_line(line: OrderLine, before: Decimal, *, key: str) -> SolidarityEntry | None:
    """What a change of ``line`` after the close moves in the fund (step 2): ``before`` is
    ``line_fund(line)`` before the change, ``line`` is as it is now (locked)."""
    return _add(line.order, line_fund(line) - before, key)


def _add(order: Order, amount: Decimal, key: str) -> SolidarityEntry | None:
    if not amount or SolidarityEntry.objects.filter(key=key).exists():
        return None
    return SolidarityEntry.objects.create(
        hub_id=order.cycle.hub_id, cycle_id=order.cycle_id, order=order, amount=amount, key=key
    )


def follow_lines(changes: list[tuple[OrderLine, Decimal]], *, key: str) -> None:
    """``follow_line`` for many lines at once (a shortage over many orders): one insert.
    ``key`` is suffixed with each line's id."""
    moved = [(line, line_fund(line) - before) for line, before in changes]
    moved = [(line, amount) for line, amount in moved if amount]
    if not moved:
        return
    cycle_ids = {line.order.cycle_id for line, _amount in moved}
    hubs = dict(OrderCycle.objects.filter(pk__in=cycle_ids).values_list("pk", "hub_id"))
    entries = [
        SolidarityEntry(
            hub_id=hubs[line.order.cycle_id],
            cycle_id=line.order.cycle_id,
            order_id=line.order_id,
            amount=amount,
            key=f"{key}:{line.pk}",
        )
        for line, amount in moved
    ]
    SolidarityEntry.objects.bulk_create(entries)


def recorded(order: Order) -> Decimal:
    total = SolidarityEntry.objects.filter(order=order).aggregate(sum=Sum("amount"))["sum"]
    return Decimal(total or 0).quantize(CENT)


def support_of(cycle, *, excluding: Order | None = None) -> Decimal:
    """What the fund gives the cycle's orders at the reduced price (a positive amount)."""
    entries = SolidarityEntry.objects.filter(cycle=cycle, order__price_tier=PriceTier.LOWER)
    if excluding is not None and excluding.pk:
        entries = entries.exclude(order=excluding)
    total = entries.aggregate(sum=Sum("amount"))["sum"]
    return -Decimal(total or 0).quantize(CENT)


def lower_tier_closed(cycle) -> bool:
    return SolidarityCycle.objects.filter(cycle=cycle, lower_closed_at__isnull=False).exists()


def check_support(
    *, order: Order, settings: SolidaritySettings | None, support: Decimal, before: Decimal
) -> None:
    """Refuse the reduced price for ``order`` when the cycle's support would pass the cap
    (step 3). ``support`` is what the order takes from the fund at its tier (positive),
    ``before`` what it took before this change. Runs in the order's transaction: the
    cycle's row stays locked until it ends, so the next order asking sees this one."""
    if order.price_tier != PriceTier.LOWER or settings is None:
        return
    SolidarityCycle.objects.bulk_create(
        [SolidarityCycle(cycle_id=order.cycle_id)], ignore_conflicts=True
    )
    row = SolidarityCycle.objects.select_for_update().get(cycle_id=order.cycle_id)
    if support <= before:
        return  # taking no more than before is always allowed
    if row.lower_closed_at is not None:
        raise TierClosed(closed_message())
    cap = settings.support_cap
    if cap is not None and support_of(order.cycle, excluding=order) + support > cap:
        raise TierClosed(closed_message())


def closed_message() -> str:
    return _(
        "The reduced price is closed for this sale: the solidarity fund has given all it "
        "can this week. Choose the normal price, or come back next week."
    )


def close_lower_tier(cycle, now=None) -> None:
    """Close the reduced price for the rest of ``cycle`` (once an order would have passed
    the cap). Its own transaction: the refused order's was undone."""
    with transaction.atomic():
        SolidarityCycle.objects.bulk_create([SolidarityCycle(cycle=cycle)], ignore_conflicts=True)
        SolidarityCycle.objects.filter(cycle=cycle, lower_closed_at__isnull=True).update(
            lower_closed_at=now or timezone.now()
        )


def save_settings(settings: SolidaritySettings, *, now=None) -> SolidaritySettings:
    """Save a hub's solidarity prices. A cap raised (or removed) opens the reduced price
    again in the hub's cycles still open where it was closed: there is room again."""
    now = now or timezone.now()
    with transaction.atomic():
        before = None
        if settings.pk:
            before = (
                SolidaritySettings.objects.select_for_update()
                .values_list("support_cap", flat=True)
                .get(pk=settings.pk)
            )
        settings.save()
        cap = settings.support_cap
        if cap is None or (before is not None and cap > before):
            SolidarityCycle.objects.filter(
                cycle__hub_id=settings.hub_id, cycle__closes_at__gt=now
            ).exclude(lower_closed_at=None).update(lower_closed_at=None)
    return settings


def remember_tier(customer, tier: str) -> None:
    """The household's tier becomes its default at the hub's next checkout."""
    if customer is not None and customer.price_tier != tier:
        customer.price_tier = tier
        customer.save(update_fields=["price_tier"])
