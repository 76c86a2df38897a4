"""Row locks, stock allocation and slot bookings: the only code that changes
``Offer.allocated``, a variant's stock and ``PickupSlot.booked``.

Stock is never oversold and a slot never overbooked, whatever the concurrency:

- On PostgreSQL, rows are locked in one order by every transaction: the order being
  changed, then offers, then their variants (``SELECT ... FOR UPDATE``, by ascending pk),
  then slots (by ascending pk), then the hub's order-number row. Two orders can wait for
  each other but never deadlock.
- On SQLite, every transaction takes the write lock up front (``transaction_mode =
  IMMEDIATE`` in settings), so writers are serialised and the same checks hold.

Availability is checked on the locked rows, then written back, in the caller's transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from producers.models import StockMode, Variant

from .models import Offer, Order, PickupSlot


class OrderError(Exception):
    """Something the household (or manager) asked that cannot be done; the message says why."""


@dataclass(frozen=True)
class Shortage:
    offer_id: int
    name: str
    requested: int
    available: int

    def message(self) -> str:
        if self.available <= 0:
            return _("%(name)s is sold out.") % {"name": self.name}
        return ngettext(
            "%(name)s: only %(count)d left.",
            "%(name)s: only %(count)d left.",
            self.available,
        ) % {"name": self.name, "count": self.available}


class SlotFull(OrderError):
    """The pickup slot has no room left."""


class InsufficientStock(OrderError):
    """Some offers do not have enough left; ``shortages`` says what is left of each."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        super().__init__(" ".join(shortage.message() for shortage in shortages))

    @property
    def available(self) -> dict[int, int]:
        return {shortage.offer_id: shortage.available for shortage in self.shortages}


def lock_order(pk: int) -> Order:
    """Lock one order (with its cycle and hub read, not locked) for the rest of the
    transaction. Every change to an order or its payments takes this lock first."""
    return Order.objects.select_for_update(of=("self",)).select_related("cycle__hub").get(pk=pk)


def book_slot(slot_id: int) -> None:
    """Take a place in the slot, or raise ``OrderError`` when it is full.

    One conditional UPDATE checks and books at once (and locks the slot row until the
    transaction ends), so two households never both get its last place.
    """
    booked = PickupSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if not booked:
        raise SlotFull(_("This pickup slot is full: please choose another one."))


def release_slot(slot_id: int) -> None:
    """Give a place in the slot back (an order cancelled or moved)."""
    PickupSlot.objects.filter(pk=slot_id).update(booked=F("booked") - 1)


def move_slot(old_id: int, new_id: int) -> None:
    """Move an order's place from one slot to another, both rows locked in pk order."""
    if new_id < old_id:
        book_slot(new_id)
        release_slot(old_id)
    else:
        release_slot(old_id)
        book_slot(new_id)


def recount_slot_bookings() -> list[tuple[PickupSlot, int, int]]:
    """Count every slot's live orders again and correct ``booked`` where it is wrong (after
    an upgrade that placed orders with the old code, or a change made outside the
    services). Returns (slot, was, now) for each correction."""
    live = Q(orders__status__in=Order.LIVE_STATUSES)
    corrections = []
    with transaction.atomic():
        # Lock every slot (pk order, like bookings), then count on the locked rows.
        list(PickupSlot.objects.select_for_update().order_by("pk").values_list("pk"))
        slots = PickupSlot.objects.annotate(live=Count("orders", filter=live)).order_by("pk")
        for slot in slots:
            if slot.booked != slot.live:
                corrections.append((slot, slot.booked, slot.live))
                PickupSlot.objects.filter(pk=slot.pk).update(booked=slot.live)
    return corrections


def lock_offers(offer_ids, *, cycle=None) -> dict[int, Offer]:
    """Lock the offers, then their variants, in a fixed order; return offers with variants
    (and their product and producer, for the line snapshot).

    With ``cycle``, every offer must be of that cycle: an offer of another cycle or hub, or
    a made-up id, is a tampered form and raises ``OrderError``. Must be called inside a
    transaction.
    """
    offer_ids = set(offer_ids)
    offers = Offer.objects.select_for_update(of=("self",)).select_related(
        "variant__product__producer"
    )
    if cycle is not None:
        offers = offers.filter(cycle=cycle)
    offers = {offer.pk: offer for offer in offers.filter(pk__in=offer_ids).order_by("pk")}
    if cycle is not None and len(offers) != len(offer_ids):
        raise OrderError(_("This product is not on sale in this cycle."))
    # The variants' stock, read again once they are locked (the join above did not lock
    # them, so its figures may be stale).
    stock = dict(
        Variant.objects.select_for_update()
        .filter(pk__in={offer.variant_id for offer in offers.values()})
        .order_by("pk")
        .values_list("pk", "stock_quantity")
    )
    for offer in offers.values():
        offer.variant.stock_quantity = stock[offer.variant_id]
    return offers


def _add(model, field: str, deltas: Mapping[int, int]) -> None:
    """``field += delta`` on each row (by primary key), in one UPDATE.

    Written in SQL because this is the checkout's hottest statement: the ORM's
    ``Case(When(...))`` form costs about 1 ms of CPU per call to compile, the statement
    itself a tenth of that. ``UPDATE ... FROM (VALUES ...)`` runs on PostgreSQL and SQLite
    (3.33+); the rows are already locked, so the order in which it visits them is free.
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
    rows = ", ".join(["(%s, %s)"] * len(deltas))
    sql = (
        f"UPDATE {table} SET {column} = {column} + changes.column2 "  # noqa: S608 (names are the model's)
        f"FROM (VALUES {rows}) AS changes "
        f"WHERE {table}.{quote(model._meta.pk.column)} = changes.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for pair in sorted(deltas.items()) for value in pair])


def apply_stock_changes(changes: Mapping[int, int], *, cycle=None) -> dict[int, Offer]:
    """Take (positive delta) or give back (negative delta) units of each offer, atomically.

    Raises ``InsufficientStock`` listing every offer that cannot give what is asked; nothing
    is written then. Units given back return to the cycle and to the producer's stock.
    Returns the changed offers, locked, with their variant, product and producer (their
    stock figures as read before the change). With ``cycle``, offers of another cycle are
    refused (see ``lock_offers``).
    """
    changes = {offer_id: delta for offer_id, delta in changes.items() if delta}
    if not changes:
        return {}
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_stock_changes() must run inside a transaction.")
    offers = lock_offers(changes, cycle=cycle)
    shortages = []
    for offer_id, delta in sorted(changes.items()):
        offer = offers[offer_id]
        available = offer.available()
        if delta > 0 and available is not None and delta > available:
            shortages.append(
                Shortage(
                    offer_id=offer_id,
                    name=str(offer.variant),
                    requested=delta,
                    available=available,
                )
            )
    if shortages:
        raise InsufficientStock(shortages)
    _add(Offer, "allocated", changes)
    counted = {}
    for offer_id, delta in changes.items():
        variant = offers[offer_id].variant
        if variant.stock_mode == StockMode.COUNTED:
            # Two offers of one variant (never in one cycle, but cheap to get right).
            counted[variant.pk] = counted.get(variant.pk, 0) - delta
    counted = {pk: delta for pk, delta in counted.items() if delta}
    if counted:
        _add(Variant, "stock_quantity", counted)
    return offers
