"""Use cases of the hub manager's order cycles: create, edit, offer, serve, publish, clone,
close now, cancel.

Each takes domain objects and keyword arguments, runs in one transaction, and raises a
``CycleError`` (an ``OrderError``) whose message says what is wrong; nothing is written then.
Views call these, nothing else. Orders are cancelled only through ``services.cancel_order``.

Editing a cycle that already has orders keeps those orders valid:

- an offer with order lines stays; its cap may go down, never below what is already sold;
- a pickup point or slot with orders stays; a slot's capacity never below its live orders;
- the hub fee is frozen once there are live orders (their totals were computed with it);
- a published cycle's changes are written to its log (``CycleChange``).

A manager's slip must not set off a closing: the edit form never moves a published cycle's
opening or closing to less than ``CHANGE_NOTICE`` from now (the worker would open or close
it within a minute, for good, and e-mail everyone). Closing early is its own action,
``close_now``, confirmed with what it sets off (``closing_forecast``).

A hub runs one order cycle at a time: two published cycles of a hub never overlap (drafts
may). Every use case that publishes or moves a published cycle checks it with the hub's
row locked (``_lock_hub``, always before the cycle's row), so two managers publishing at
once cannot both succeed.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import (
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from foodhub.collation import french
from foodhub.hubs.models import Hub
from orders import clock, pricing
from orders.checkout import selectors, services
from orders.emails import close_emails
from orders.models import (
    BalanceEntry,
    CyclePickupPoint,
    Offer,
    Order,
    OrderCycle,
    OrderLine,
    Payment,
    PickupSlot,
)  # fmt: skip
from orders.stock import OrderError
from orders.weekly_baskets import weekly
from producers.models import MAX_PRICE, MAX_STOCK, Producer, Variant, VatRate
from producers.templatetags import money
from producers.templatetags.money import day

__all__ = [
    "CHANGE_NOTICE",
    "ClosingForecast",
    "CycleError",
    "PickupSpec",
    "SlotSpec",
    "StaleForecast",
    "add_offers",
    "add_producer_offers",
    "cancel_cycle",
    "clone_cycle",
    "close_now",
    "closing_forecast",
    "create_cycle",
    "cycle_orders",
    "overlapping_cycles",
    "publish_cycle",
    "remove_offer",
    "set_offers",
    "set_pickups",
    "update_cycle",
    "update_offers",
]

MAX_CLONE_WEEKS = 52
MAX_FEE_FIXED = Decimal("1000")
MAX_SLOT_CAPACITY = 10_000

# The edit form never moves a published cycle's opening or closing to less than this from
# now: the worker's next tick would open or close it for good. "Close now" does it on
# purpose, after a confirmation.
CHANGE_NOTICE = timedelta(minutes=15)

# Fields of a published cycle whose changes are logged. The message is left out: it is news
# for households, not a term of the sale.
LOGGED_FIELDS = ("name", "opens_at", "closes_at", "fee_percent", "fee_fixed", "fee_vat_rate")
FEE_FIELDS = ("fee_percent", "fee_fixed", "fee_vat_rate")


class CycleError(OrderError):
    """A manager's change to a cycle that cannot be made; the message says why, and
    ``field`` names the form field it is about (or None)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# Reading


def cycle_orders(cycle: OrderCycle) -> QuerySet[Order]:
    """The cycle's orders in one query, each with ``paid`` (as ``services.paid_amount``)."""
    money_field = DecimalField(max_digits=10, decimal_places=2)
    paid = (
        Payment.objects.filter(order=OuterRef("pk"), status=Payment.Status.SUCCEEDED)
        .values("order")
        .annotate(
            net=Sum("amount", filter=Q(kind=Payment.Kind.PAYMENT), default=pricing.ZERO)
            - Sum("amount", filter=Q(kind=Payment.Kind.REFUND), default=pricing.ZERO)
        )
        .values("net")
    )
    return (
        Order.objects.filter(cycle=cycle)
        .select_related("cycle_pickup__pickup_point", "slot", "placed_by")
        .annotate(
            # With the credit used for it, less the change kept and the debts settled from
            # its payments.
            paid=Coalesce(Subquery(paid, output_field=money_field), Value(pricing.ZERO))
            + Coalesce(BalanceEntry.objects.moved_to_each_order(), Value(pricing.ZERO)),
        )
        .order_by(
            french("cycle_pickup__pickup_point__name"),
            "slot__starts_at",
            french("full_name"),
            "number",
        )  # fmt: skip
    )


def slot_counts(cycle: OrderCycle) -> QuerySet[PickupSlot]:
    """Every slot of the cycle with ``live_orders``, in one query."""
    return (
        PickupSlot.objects.filter(cycle_pickup__cycle=cycle)
        .select_related("cycle_pickup__pickup_point")
        .annotate(live_orders=Count("orders", filter=Q(orders__status__in=Order.LIVE_STATUSES)))
        .order_by(
            "cycle_pickup__pickup_date", french("cycle_pickup__pickup_point__name"), "starts_at"
        )
    )


# Creating and editing


def _local_text(moment: datetime) -> str:
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%d %H:%M")


def _clean_terms(
    *,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    fee_percent,
    fee_fixed,
    fee_vat_rate: str,
) -> dict:
    name = (name or "").strip()
    if not name:
        raise CycleError(_("Give the order cycle a name."))
    if len(name) > 150:
        raise CycleError(_("The name is too long (at most 150 characters)."))
    for moment in (opens_at, closes_at):
        if not isinstance(moment, datetime) or timezone.is_naive(moment):
            raise CycleError(_("Give the opening and closing date and time."))
    if closes_at <= opens_at:
        raise CycleError(_("The cycle must close after it opens."))
    return {
        "name": name,
        "opens_at": opens_at,
        "closes_at": closes_at,
        **clean_fee(fee_percent, fee_fixed, fee_vat_rate),
    }


def clean_fee(fee_percent, fee_fixed, fee_vat_rate: str, *, error=CycleError) -> dict:
    """The hub fee (``FEE_FIELDS``) of a cycle or of a weekly schedule, as it is saved:
    the percentage and the fixed fee to the cent, each within bounds, a known VAT rate.
    Raises ``error`` (the caller's kind of ``CycleError``) saying what is wrong."""
    try:
        fee_percent = Decimal(str(fee_percent)).quantize(pricing.CENT)
        fee_fixed = pricing.money(Decimal(str(fee_fixed)))
    except (ArithmeticError, InvalidOperation, ValueError):
        raise error(_("Enter the hub fee as a number, such as 5 or 1,50.")) from None
    if not Decimal("0") <= fee_percent <= Decimal("100"):
        raise error(_("The hub fee percentage must be between 0 and 100."))
    if not Decimal("0") <= fee_fixed <= MAX_FEE_FIXED:
        raise error(_("The fixed hub fee must be between 0 and 1000 €."))
    if fee_vat_rate not in VatRate.values:
        raise error(_("Choose the VAT rate of the hub fee."))
    return {"fee_percent": fee_percent, "fee_fixed": fee_fixed, "fee_vat_rate": fee_vat_rate}


def create_cycle(
    *,
    hub,
    name: str,
    opens_at: datetime,
    closes_at: datetime,
    by,
    message: str = "",
    fee_percent: Decimal = pricing.ZERO,
    fee_fixed: Decimal = pricing.ZERO,
    fee_vat_rate: str = VatRate.STANDARD,
    now: datetime | None = None,
) -> OrderCycle:
    """A new draft cycle of ``hub``; offers and pickups are added next, then it is published."""
    terms = _clean_terms(
        name=name,
        opens_at=opens_at,
        closes_at=closes_at,
        fee_percent=fee_percent,
        fee_fixed=fee_fixed,
        fee_vat_rate=fee_vat_rate,
    )
    if terms["closes_at"] <= (now or timezone.now()):
        raise CycleError(_("The closing time is already past."))
    with transaction.atomic():
        return OrderCycle.objects.create(
            hub=hub, message=(message or "").strip(), created_by=by, **terms
        )


def _live_orders(cycle: OrderCycle) -> QuerySet[Order]:
    return cycle.orders.live()


def update_cycle(
    *,
    cycle: OrderCycle,
    by,
    name: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    message: str | None = None,
    fee_percent: Decimal | None = None,
    fee_fixed: Decimal | None = None,
    fee_vat_rate: str | None = None,
    now: datetime | None = None,
) -> OrderCycle:
    """Change a cycle's name, dates, message or fee (``None`` leaves a field as it is).

    1. Lock the hub's row, then the cycle's, so two managers' edits (and publications)
       follow each other.
    2. Check the new terms (``_check_new_dates``): a cancelled cycle changes no more; the
       dates of a published cycle never move to less than ``CHANGE_NOTICE`` from now (closing
       early is ``close_now``), nor onto another published cycle; the fee is frozen once
       there are live orders; pickup dates stay on or after the closing day.
    3. Save, and log every change of a published cycle (closing time above all).
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_hub(cycle.hub_id)
        cycle = _lock_cycle(cycle)
        if cycle.status == OrderCycle.Status.CANCELLED:
            raise CycleError(_("This order cycle was cancelled: it can no longer change."))
        wanted = {
            "name": name,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "fee_percent": fee_percent,
            "fee_fixed": fee_fixed,
            "fee_vat_rate": fee_vat_rate,
        }
        old = {key: getattr(cycle, key) for key in wanted}
        terms = _clean_terms(
            **{key: old[key] if value is None else value for key, value in wanted.items()}
        )
        changed = [key for key in terms if terms[key] != old[key]]
        has_orders = _live_orders(cycle).exists()
        _check_new_dates(cycle, terms, changed, has_orders=has_orders, now=now)
        if has_orders and set(FEE_FIELDS) & set(changed):
            raise CycleError(
                _("This order cycle already has orders: its hub fee can no longer change.")
            )
        _check_pickup_dates(cycle, closes_at=terms["closes_at"])

        for key in changed:
            setattr(cycle, key, terms[key])
        fields = list(changed)
        if message is not None and message.strip() != cycle.message:
            cycle.message = message.strip()
            fields.append("message")
        if fields:
            cycle.save(update_fields=[*fields, "updated_at"])
        if cycle.status == OrderCycle.Status.PUBLISHED:
            for key in changed:
                if key in LOGGED_FIELDS:
                    before, after = old[key], terms[key]
                    if isinstance(before, datetime):
                        before, after = _local_text(before), _local_text(after)
                    services.log_cycle_change(cycle=cycle, by=by, field=key, old=before, new=after)
    return cycle


def _check_new_dates(
    cycle: OrderCycle, terms: dict, changed: list[str], *, has_orders: bool, now: datetime
) -> None:
    """The rules of moving a cycle's dates (``update_cycle``).

    - A closed cycle keeps its dates once the worker has processed its closing (reopening
      it would undo e-mails, charges and documents); until then a closing time at least
      ``CHANGE_NOTICE`` ahead re-arms it.
    - A published cycle's opening or closing never moves to less than ``CHANGE_NOTICE`` from
      now: the worker would open or close it at once, for good. Closing early is
      ``close_now``; an open cycle's opening may still move earlier (it is open already).
    - An open cycle with orders cannot open later than now.
    - A published cycle's new dates must not overlap another published cycle of the hub.
    - A draft closes in the future.
    """
    dates = {"opens_at", "closes_at"} & set(changed)
    if not dates:
        return
    phase = cycle.phase(now)
    soon = now + CHANGE_NOTICE
    minutes = int(CHANGE_NOTICE.total_seconds() // 60)
    if phase == OrderCycle.Phase.CLOSED:
        if cycle.close_started_at:
            raise CycleError(_("This order cycle is closed: its dates can no longer change."))
        if "closes_at" not in changed or terms["closes_at"] <= now:
            raise CycleError(
                _("This order cycle is closed: give it a closing time in the future to reopen it."),
                field="closes_at",
            )
    if cycle.status == OrderCycle.Status.PUBLISHED:
        if "closes_at" in changed and terms["closes_at"] < soon:
            if phase == OrderCycle.Phase.OPEN:
                raise CycleError(
                    ngettext(
                        "Give a closing time at least %(minutes)d minute from now. To stop the "
                        "orders at once, use “Close now” on the cycle's page: it tells you "
                        "first how many orders and e-mails that sets off.",
                        "Give a closing time at least %(minutes)d minutes from now. To stop "
                        "the orders at once, use “Close now” on the cycle's page: it tells you "
                        "first how many orders and e-mails that sets off.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    field="closes_at",
                )
            raise CycleError(
                ngettext(
                    "Give a closing time at least %(minutes)d minute from now.",
                    "Give a closing time at least %(minutes)d minutes from now.",
                    minutes,
                )
                % {"minutes": minutes},
                field="closes_at",
            )
        if "opens_at" in changed and phase != OrderCycle.Phase.OPEN and terms["opens_at"] < soon:
            raise CycleError(
                ngettext(
                    "Give an opening time at least %(minutes)d minute from now: an opening "
                    "time already past would open the shop at once and e-mail the households.",
                    "Give an opening time at least %(minutes)d minutes from now: an opening "
                    "time already past would open the shop at once and e-mail the households.",
                    minutes,
                )
                % {"minutes": minutes},
                field="opens_at",
            )
        _refuse_overlap(cycle, opens_at=terms["opens_at"], closes_at=terms["closes_at"])
    elif "closes_at" in changed and terms["closes_at"] <= now:
        raise CycleError(_("The closing time is already past."), field="closes_at")
    if "opens_at" in changed and has_orders and terms["opens_at"] > now:
        raise CycleError(
            _("This order cycle already has orders: it cannot open later than now."),
            field="opens_at",
        )


def _check_pickup_dates(cycle: OrderCycle, *, closes_at: datetime, pickups=None) -> None:
    closing_day = timezone.localdate(closes_at, timezone.get_default_timezone())
    if pickups is None:
        pickups = [
            (str(p.pickup_point), p.pickup_date)
            for p in cycle.pickups.select_related("pickup_point")
        ]
    for point_name, pickup_date in pickups:
        if pickup_date < closing_day:
            raise CycleError(
                _("The pickup at %(point)s (%(date)s) would be before the cycle closes.")
                % {"point": point_name, "date": day(pickup_date)}
            )


# Offers


def _check_price(price, name: str) -> Decimal:
    try:
        price = pricing.money(Decimal(str(price).strip().replace(",", ".")))
    except (ArithmeticError, InvalidOperation, ValueError):
        raise CycleError(
            _("%(name)s: enter a price in euros, such as 3,50.") % {"name": name}
        ) from None
    if price <= 0 or price > MAX_PRICE:
        raise CycleError(_("%(name)s: enter a price in euros, such as 3,50.") % {"name": name})
    return price


def _check_cap(cap, name: str) -> int | None:
    if cap is None or cap == "":
        return None
    text = str(cap).strip()
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    if isinstance(cap, bool) or not (text.isascii() and text.isdigit()):
        raise CycleError(
            _("%(name)s: the most sold must be a whole number, or empty.") % {"name": name}
        )
    cap = int(text) if len(text) <= 9 else MAX_STOCK + 1
    if cap > MAX_STOCK:
        raise CycleError(_("%(name)s: that cap is too large.") % {"name": name})
    return cap


def _check_editable(cycle: OrderCycle, now: datetime | None = None) -> None:
    phase = cycle.phase(now)
    if phase == OrderCycle.Phase.CANCELLED:
        raise CycleError(_("This order cycle was cancelled: it can no longer change."))
    if phase == OrderCycle.Phase.CLOSED:
        raise CycleError(_("This order cycle is closed: it can no longer change."))


def _lock_cycle(cycle: OrderCycle) -> OrderCycle:
    return OrderCycle.objects.select_for_update(of=("self",)).select_related("hub").get(pk=cycle.pk)


def _lock_hub(hub_id: int) -> None:
    """Lock the hub's row until the end of the transaction: taken (before any cycle's row)
    by every use case that may make a cycle published with its dates, so that two of them
    check for overlaps one after the other. FOR NO KEY UPDATE: orders and new cycles, which
    only point at the hub, do not wait for it."""
    Hub.objects.select_for_update(no_key=True).filter(pk=hub_id).values_list("pk").get()


def overlapping_cycles(
    hub, *, opens_at: datetime, closes_at: datetime, exclude: int | None = None
) -> QuerySet[OrderCycle]:
    """The hub's published cycles whose [opens_at, closes_at) meets this one, first first."""
    return (
        OrderCycle.objects.filter(
            hub=hub,
            status=OrderCycle.Status.PUBLISHED,
            opens_at__lt=closes_at,
            closes_at__gt=opens_at,
        )
        .exclude(pk=exclude)
        .order_by("opens_at", "pk")
    )


def overlap_message(other: OrderCycle) -> str:
    return _(
        "These dates overlap the order cycle “%(name)s” (from %(opens)s to %(closes)s, Paris "
        "time): a hub runs one cycle at a time. Change the dates so that one closes before the "
        "other opens."
    ) % {"name": other.name, "opens": money.moment(other.opens_at),
         "closes": money.moment(other.closes_at)}  # fmt: skip


def _refuse_overlap(cycle: OrderCycle, *, opens_at: datetime, closes_at: datetime) -> None:
    other = overlapping_cycles(
        cycle.hub_id, opens_at=opens_at, closes_at=closes_at, exclude=cycle.pk
    ).first()
    if other is not None:
        raise CycleError(overlap_message(other))


def add_offers(
    *,
    cycle: OrderCycle,
    variants: Iterable[Variant | int],
    stock_cap: int | None = None,
    by=None,
    now: datetime | None = None,
) -> list[Offer]:
    """Offer these variants in the cycle, each at its catalogue price (already offered: kept).

    Only variants on sale of the hub's producers can be offered; a tampered id is refused.
    """
    ids = {getattr(variant, "pk", variant) for variant in variants}
    cap = _check_cap(stock_cap, _("Every product"))
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        _check_editable(cycle, now)
        found = {v.pk: v for v in selectors.variants_for_hub(cycle.hub).filter(pk__in=ids)}
        if len(found) != len(ids):
            raise CycleError(_("Some of these products cannot be offered by this hub."))
        offered = set(cycle.offers.filter(variant__in=ids).values_list("variant_id", flat=True))
        new = [
            Offer.at_catalogue_price(cycle=cycle, variant=variant, stock_cap=cap)
            for pk, variant in sorted(found.items())
            if pk not in offered
        ]
        Offer.objects.bulk_create(new)
    return new


def add_producer_offers(
    *, cycle: OrderCycle, producer: Producer, by=None, now: datetime | None = None
) -> list[Offer]:
    """ "Select all" of a producer: every variant it has on sale."""
    if not cycle.hub.producers.filter(pk=producer.pk).exists():
        raise CycleError(_("This producer does not sell through this hub."))
    variants = selectors.variants_for_hub(cycle.hub, producer=producer).values_list("pk", flat=True)
    return add_offers(cycle=cycle, variants=list(variants), by=by, now=now)


def _refuse_if_ordered(offers: Iterable[Offer]) -> None:
    ordered = set(
        OrderLine.objects.filter(offer__in=[o.pk for o in offers]).values_list(
            "offer_id", flat=True
        )
    )
    names = [str(offer.variant) for offer in offers if offer.pk in ordered]
    if names:
        raise CycleError(
            _(
                "Already ordered, so kept in the cycle: %(names)s. "
                "You can lower its cap to what is already sold instead."
            )
            % {"names": ", ".join(names)}
        )


def _check_still_offers(cycle: OrderCycle) -> None:
    if cycle.status == OrderCycle.Status.PUBLISHED and not cycle.offers.exists():
        raise CycleError(_("A published order cycle needs at least one product on offer."))


def remove_offer(*, offer: Offer, by=None, now: datetime | None = None) -> None:
    """Take a variant out of the cycle, if no order line uses it (orders stay valid)."""
    with transaction.atomic():
        cycle = _lock_cycle(offer.cycle)
        _check_editable(cycle, now)
        offer = Offer.objects.select_related("variant__product").get(pk=offer.pk, cycle=cycle)
        _refuse_if_ordered([offer])
        offer.delete()
        _check_still_offers(cycle)


def set_offers(
    *,
    cycle: OrderCycle,
    variant_ids: Iterable[int],
    among: Iterable[int] | None = None,
    by=None,
    now: datetime | None = None,
) -> tuple[list[Offer], int]:
    """Make the cycle offer exactly ``variant_ids`` among the variants ``among``.

    ``among`` is what the manager saw (one producer, a filtered list): offers outside it are
    left alone. ``None`` means the whole cycle. New offers get the catalogue price; removing
    an offer that was ordered is refused. Returns (offers added, number removed).
    """
    wanted = set(variant_ids)
    scope = None if among is None else set(among) | wanted
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        _check_editable(cycle, now)
        current = cycle.offers.select_related("variant__product")
        if scope is not None:
            current = current.filter(variant__in=scope)
        dropped = [offer for offer in current if offer.variant_id not in wanted]
        _refuse_if_ordered(dropped)
        Offer.objects.filter(pk__in=[offer.pk for offer in dropped]).delete()
        added = add_offers(cycle=cycle, variants=wanted, by=by, now=now)
        _check_still_offers(cycle)
    return added, len(dropped)


def update_offers(
    *,
    cycle: OrderCycle,
    terms: dict[int, tuple],
    by=None,
    now: datetime | None = None,
) -> None:
    """Change offers' price and cap: ``{offer id: (price, stock_cap or None)}``; the price
    of an offer sold by weight is its price per kg.

    The offer rows are locked (in pk order, as ``orders.stock`` does) so a cap is checked
    against what is sold at that moment: never below it. All offers change, or none.
    """
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        _check_editable(cycle, now)
        offers = {
            offer.pk: offer
            for offer in Offer.objects.select_for_update(of=("self",))
            .select_related("variant__product")
            .filter(cycle=cycle, pk__in=list(terms))
            .order_by("pk")
        }
        if len(offers) != len(terms):
            raise CycleError(_("Some of these products are not offered in this cycle."))
        changed = []
        for pk, (price, cap) in sorted(terms.items()):
            offer = offers[pk]
            name = str(offer.variant)
            price, cap = _check_price(price, name), _check_cap(cap, name)
            if cap is not None and cap < offer.allocated:
                raise CycleError(
                    _("%(name)s: %(count)d already sold, the cap cannot be lower.")
                    % {"name": name, "count": offer.allocated}
                )
            if offer.is_by_weight:  # the price typed is per kg
                if (price, cap) != (offer.price_per_kg, offer.stock_cap):
                    offer.price_per_kg, offer.stock_cap = price, cap
                    offer.price = offer.variant.estimated_price(price)
                    changed.append(offer)
            elif (price, cap) != (offer.price, offer.stock_cap):
                offer.price, offer.stock_cap = price, cap
                changed.append(offer)
        Offer.objects.bulk_update(changed, ["price", "price_per_kg", "stock_cap"])


# Pickup points and slots


@dataclass(frozen=True)
class SlotSpec:
    """A slot as the manager wants it; ``pk`` names an existing slot to keep."""

    starts_at: time
    ends_at: time
    capacity: int
    pk: int | None = None


@dataclass(frozen=True)
class PickupSpec:
    pickup_point_id: int
    pickup_date: date
    slots: Sequence[SlotSpec] = field(default_factory=tuple)


def set_pickups(
    *, cycle: OrderCycle, pickups: Sequence[PickupSpec], by=None, now: datetime | None = None
) -> None:
    """Make the cycle serve exactly these pickup points, each on its date with its slots.

    1. Check every point serves the hub, every date is on or after the closing day, every
       slot ends after it starts and has a capacity of 1 to 10,000.
    2. Points and slots left out are removed, unless they have orders (refused); a slot's
       capacity never goes below its live orders.
    3. A published cycle keeps at least one slot, and its pickup date changes are logged.
    """
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        _check_editable(cycle, now)
        points = {p.pk: p for p in cycle.hub.pickup_points.all()}
        for spec, point in each_point_once(pickups, points):
            if not isinstance(spec.pickup_date, date):
                raise CycleError(_("Give the pickup date at %(point)s.") % {"point": point})
            for slot in spec.slots:
                _check_slot_spec(slot, point)
        _check_pickup_dates(
            cycle,
            closes_at=cycle.closes_at,
            pickups=[(str(points[s.pickup_point_id]), s.pickup_date) for s in pickups],
        )

        existing = {
            p.pickup_point_id: p
            for p in cycle.pickups.select_related("pickup_point").prefetch_related("slots")
        }
        # The slots are locked (in pk order, like every booking) so that no household
        # takes or moves a place while their capacities are checked and changed.
        live = dict(
            PickupSlot.objects.select_for_update()
            .filter(cycle_pickup__cycle=cycle)
            .order_by("pk")
            .values_list("pk", "booked")
        )
        ordered_slots = set(
            Order.objects.filter(cycle=cycle).values_list("slot_id", flat=True).distinct()
        )
        wanted_points = {spec.pickup_point_id for spec in pickups}
        for point_id, cycle_pickup in existing.items():
            if point_id not in wanted_points:
                if any(slot.pk in ordered_slots for slot in cycle_pickup.slots.all()):
                    raise CycleError(
                        _("%(point)s has orders in this cycle: it cannot be removed.")
                        % {"point": cycle_pickup.pickup_point}
                    )
                cycle_pickup.delete()

        for spec in pickups:
            point = points[spec.pickup_point_id]
            cycle_pickup = existing.get(spec.pickup_point_id)
            if cycle_pickup is None:
                cycle_pickup = CyclePickupPoint.objects.create(
                    cycle=cycle, pickup_point=point, pickup_date=spec.pickup_date
                )
                slots = {}
            else:
                if cycle_pickup.pickup_date != spec.pickup_date:
                    if cycle.status == OrderCycle.Status.PUBLISHED:
                        services.log_cycle_change(
                            cycle=cycle,
                            by=by,
                            field="pickup_date",
                            old=f"{point}: {cycle_pickup.pickup_date:%Y-%m-%d}",
                            new=f"{point}: {spec.pickup_date:%Y-%m-%d}",
                        )
                    cycle_pickup.pickup_date = spec.pickup_date
                    cycle_pickup.save(update_fields=["pickup_date"])
                slots = {slot.pk: slot for slot in cycle_pickup.slots.all()}
            kept = {slot.pk for slot in spec.slots if slot.pk is not None}
            if kept - set(slots):
                raise CycleError(_("Some of these slots are not of this pickup point."))
            for pk, slot in slots.items():
                if pk not in kept:
                    if pk in ordered_slots:
                        raise CycleError(
                            _("The slot %(slot)s at %(point)s has orders: it cannot be removed.")
                            % {"slot": slot, "point": point}
                        )
                    slot.delete()
            for slot_spec in spec.slots:
                if slot_spec.pk is None:
                    PickupSlot.objects.create(
                        cycle_pickup=cycle_pickup,
                        starts_at=slot_spec.starts_at,
                        ends_at=slot_spec.ends_at,
                        capacity=slot_spec.capacity,
                    )
                    continue
                slot = slots[slot_spec.pk]
                if slot_spec.capacity < live.get(slot.pk, 0):
                    raise CycleError(
                        ngettext(
                            "The slot %(slot)s at %(point)s already has %(count)d order: "
                            "its capacity cannot be lower.",
                            "The slot %(slot)s at %(point)s already has %(count)d orders: "
                            "its capacity cannot be lower.",
                            live[slot.pk],
                        )
                        % {"slot": slot, "point": point, "count": live[slot.pk]}
                    )
                slot.starts_at, slot.ends_at = slot_spec.starts_at, slot_spec.ends_at
                slot.capacity = slot_spec.capacity
                slot.save(update_fields=["starts_at", "ends_at", "capacity"])
        if (
            cycle.status == OrderCycle.Status.PUBLISHED
            and not PickupSlot.objects.filter(cycle_pickup__cycle=cycle).exists()
        ):
            raise CycleError(_("A published order cycle needs at least one pickup slot."))


def each_point_once(pickups, points: dict, *, error=CycleError):
    """Each pickup spec (of a cycle or a weekly schedule) with its point, once checked to
    be one of ``points`` (the hub's, by id) and named once; else ``error``."""
    seen = set()
    for spec in pickups:
        if spec.pickup_point_id not in points or spec.pickup_point_id in seen:
            raise error(_("Choose pickup points of this hub, each once."))
        seen.add(spec.pickup_point_id)
        yield spec, points[spec.pickup_point_id]


def _check_slot_spec(slot: SlotSpec, point) -> None:
    if not isinstance(slot.starts_at, time) or not isinstance(slot.ends_at, time):
        raise CycleError(_("Give each slot at %(point)s its times.") % {"point": point})
    if slot.ends_at <= slot.starts_at:
        raise CycleError(
            _("A slot at %(point)s must end after it starts (%(start)s–%(end)s).")
            % {
                "point": point,
                "start": slot.starts_at.strftime("%H:%M"),
                "end": slot.ends_at.strftime("%H:%M"),
            }
        )
    if isinstance(slot.capacity, bool) or not isinstance(slot.capacity, int):
        raise CycleError(_("The capacity of a slot is a number of households."))
    if not 1 <= slot.capacity <= MAX_SLOT_CAPACITY:
        raise CycleError(_("The capacity of a slot is between 1 and 10,000 households."))


# Publishing, cloning, cancelling


def publish_cycle(*, cycle: OrderCycle, by, now: datetime | None = None) -> OrderCycle:
    """Draft → published: households see it (and can order once it opens).

    Refused without at least one offer and one pickup slot, once its closing time is past,
    or when its dates overlap another published cycle of the hub (checked with the hub's
    row locked, so two managers publishing overlapping drafts at once cannot both succeed).
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_hub(cycle.hub_id)
        cycle = _lock_cycle(cycle)
        if cycle.status != OrderCycle.Status.DRAFT:
            raise CycleError(_("Only a draft order cycle can be published."))
        if not cycle.offers.exists():
            raise CycleError(_("Offer at least one product before publishing."))
        if not PickupSlot.objects.filter(cycle_pickup__cycle=cycle).exists():
            raise CycleError(_("Add at least one pickup point with a slot before publishing."))
        if cycle.closes_at <= now:
            raise CycleError(_("The closing time is already past: change the dates first."))
        _refuse_overlap(cycle, opens_at=cycle.opens_at, closes_at=cycle.closes_at)
        _check_pickup_dates(cycle, closes_at=cycle.closes_at)
        cycle.status = OrderCycle.Status.PUBLISHED
        cycle.save(update_fields=["status", "updated_at"])
    return cycle


def clone_cycle(*, cycle: OrderCycle, weeks: int, by, name: str | None = None) -> OrderCycle:
    """A new DRAFT cycle like ``cycle``, every date ``weeks`` weeks later.

    1. Opening and closing keep their Europe/Paris wall-clock time (``clock.shift_weeks``);
       pickup dates move by the same number of weeks, with the same slots and capacities.
    2. The fee, the message and where the producers deliver are copied (their delivery
       time moved like the other dates).
    3. Offers are copied for variants still on sale (active variant and product, producer
       still with the hub), **at today's catalogue price**, not the old cycle's price: the
       producer's price may have changed since, and an old special price should not come
       back silently. The per-cycle cap is copied; nothing is sold yet.
    4. Pickup points that no longer serve the hub are left out.
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_CLONE_WEEKS:
        raise CycleError(_("Shift the dates by 1 to 52 weeks."))
    with transaction.atomic():
        source = OrderCycle.objects.select_related("hub").get(pk=cycle.pk)
        hub = source.hub
        clone = OrderCycle.objects.create(
            hub=hub,
            name=(name or "").strip()[:150] or source.name,
            opens_at=clock.shift_weeks(source.opens_at, weeks),
            closes_at=clock.shift_weeks(source.closes_at, weeks),
            status=OrderCycle.Status.DRAFT,
            message=source.message,
            fee_percent=source.fee_percent,
            fee_fixed=source.fee_fixed,
            fee_vat_rate=source.fee_vat_rate,
            delivery_place=source.delivery_place,
            delivery_at=source.delivery_at and clock.shift_weeks(source.delivery_at, weeks),
            cloned_from=source,
            created_by=by,
        )
        on_sale = set(selectors.variants_for_hub(hub).values_list("pk", flat=True))
        Offer.objects.bulk_create(
            Offer.at_catalogue_price(cycle=clone, variant=offer.variant, stock_cap=offer.stock_cap)
            for offer in source.offers.select_related("variant").order_by("pk")
            if offer.variant_id in on_sale
        )  # fmt: skip
        served = set(hub.pickup_points.values_list("pk", flat=True))
        for pickup in source.pickups.prefetch_related("slots"):
            if pickup.pickup_point_id not in served:
                continue
            copy = CyclePickupPoint.objects.create(
                cycle=clone,
                pickup_point_id=pickup.pickup_point_id,
                pickup_date=pickup.pickup_date + timedelta(weeks=weeks),
            )
            PickupSlot.objects.bulk_create(
                PickupSlot(cycle_pickup=copy, starts_at=slot.starts_at, ends_at=slot.ends_at,
                           capacity=slot.capacity)
                for slot in pickup.slots.all()
            )  # fmt: skip
    return clone


# Closing now


@dataclass(frozen=True)
class ClosingForecast:
    """What closing a cycle sets off, counted by the code the worker's closing runs
    (``orders.worker.scheduler.close_cycle``): shown before "Close now", checked again after."""

    orders: int  # live orders made final
    awaiting_card: int  # of which waiting for their card payment: placed if paid, else cancelled
    saved_cards: int  # weekly baskets charged on their saved card
    households: int  # e-mails of the final order, one per live order
    producers: int  # e-mails of the totals and pick list, one per producer with sales

    @property
    def card_payments(self) -> int:
        return self.awaiting_card + self.saved_cards


def closing_forecast(cycle: OrderCycle) -> ClosingForecast:
    live = cycle.orders.live()
    counts = live.aggregate(
        orders=Count("pk"), awaiting=Count("pk", filter=Q(status=Order.Status.AWAITING_PAYMENT))
    )
    return ClosingForecast(
        orders=counts["orders"],
        awaiting_card=counts["awaiting"],
        saved_cards=weekly.orders_to_charge(cycle).count(),
        households=len(close_emails.household_emails(cycle)),
        producers=len(close_emails.producer_emails(cycle)),
    )


class StaleForecast(CycleError):
    """What "Close now" would set off is no longer what the manager confirmed."""

    def __init__(self, forecast: ClosingForecast):
        super().__init__(
            _("The figures changed since the page was shown: check them, then confirm again.")
        )
        self.forecast = forecast


def close_now(
    *,
    cycle: OrderCycle,
    by,
    expected: ClosingForecast | None = None,
    now: datetime | None = None,
) -> OrderCycle:
    """Close an open cycle at once, on a manager's confirmed request.

    1. Lock the cycle's row: this waits for the orders being placed at this moment (they
       hold it FOR KEY SHARE), and the ones after find the shop closed.
    2. Refuse unless it is open; count again what closing sets off and refuse
       (``StaleForecast``, with the new counts) if it is not what the manager confirmed.
    3. Set the closing time to now and log it. The worker's next tick does the closing
       itself (final orders, card payments, e-mails, documents), as at any closing time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        if cycle.phase(now) != OrderCycle.Phase.OPEN:
            raise CycleError(_("Only an open order cycle can be closed now."))
        forecast = closing_forecast(cycle)
        if expected is not None and forecast != expected:
            raise StaleForecast(forecast)
        before = cycle.closes_at
        cycle.closes_at = max(now, cycle.opens_at + timedelta(seconds=1))
        cycle.save(update_fields=["closes_at", "updated_at"])
        services.log_cycle_change(
            cycle=cycle, by=by, field="closes_at", old=_local_text(before),
            new=_local_text(cycle.closes_at),
        )  # fmt: skip
    return cycle


def cancel_cycle(*, cycle: OrderCycle, by, reason: str, now: datetime | None = None) -> OrderCycle:
    """Cancel a whole cycle (a draft, or a published one not closed yet): every live order
    is cancelled, its stock given back, and the household told by e-mail (after commit),
    through ``services.cancel_order``. A closed cycle's orders are final: refused.

    Card payments are not refunded here: ``services.cancel_order`` owns what happens to an
    order's money.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CycleError(_("Say why the cycle is cancelled: the households will read it."))
    now = now or timezone.now()
    with transaction.atomic():
        cycle = _lock_cycle(cycle)
        if cycle.status == OrderCycle.Status.CANCELLED:
            raise CycleError(_("This order cycle is already cancelled."))
        if cycle.phase(now) == OrderCycle.Phase.CLOSED:
            raise CycleError(
                _("This order cycle is closed: its orders are final, it can no longer be "
                  "cancelled.")
            )  # fmt: skip
        previous = cycle.status
        cycle.status = OrderCycle.Status.CANCELLED
        cycle.cancelled_at = now
        cycle.save(update_fields=["status", "cancelled_at", "updated_at"])
        # Every live order is locked first (in pk order), before any stock or slot: the
        # order of locks of orders.stock, so a household's change waits instead of
        # deadlocking.
        live = list(
            _live_orders(cycle)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        for order in Order.objects.filter(pk__in=live).order_by("pk"):
            services.cancel_order(order=order, by=by, reason=reason[:500], force=True, now=now)
        services.log_cycle_change(
            cycle=cycle, by=by, field="status", old=previous, new=f"cancelled: {reason}"
        )
    return cycle
