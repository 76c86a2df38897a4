"""Row locks, and stock allocation: the only code that changes ``Offer.allocated`` and a
variant's stock.

Stock is never oversold, whatever the concurrency:

- On PostgreSQL the offers, then their variants, are locked with ``SELECT ... FOR UPDATE``
  in primary-key order. Every transaction locks in the same order (offers before variants,
  by ascending pk), so two orders can wait for each other but never deadlock.
- On SQLite, every transaction takes the write lock up front (``transaction_mode =
  IMMEDIATE`` in settings), so writers are serialised and the same checks hold.

Availability is checked on the locked rows, then written back, in the caller's transaction.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from producers.models import StockMode, Variant

from .models import Offer, Order


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


def lock_offers(offer_ids) -> dict[int, Offer]:
    """Lock the offers, then their variants, in a fixed order; return offers with variants.

    Must be called inside a transaction.
    """
    offers = {
        offer.pk: offer
        for offer in Offer.objects.select_for_update().filter(pk__in=offer_ids).order_by("pk")
    }
    variant_ids = {offer.variant_id for offer in offers.values()}
    variants = {
        variant.pk: variant
        for variant in Variant.objects.select_for_update(of=("self",))
        .select_related("product")
        .filter(pk__in=variant_ids)
        .order_by("pk")
    }
    for offer in offers.values():
        offer.variant = variants[offer.variant_id]
    return offers


def apply_stock_changes(changes: Mapping[int, int]) -> None:
    """Take (positive delta) or give back (negative delta) units of each offer, atomically.

    Raises ``InsufficientStock`` listing every offer that cannot give what is asked; nothing
    is written then. Units given back return to the cycle and to the producer's stock.
    """
    changes = {offer_id: delta for offer_id, delta in changes.items() if delta}
    if not changes:
        return
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_stock_changes() must run inside a transaction.")
    offers = lock_offers(changes)
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
    for offer_id, delta in sorted(changes.items()):
        offer = offers[offer_id]
        Offer.objects.filter(pk=offer_id).update(allocated=F("allocated") + delta)
        if offer.variant.stock_mode == StockMode.COUNTED:
            Variant.objects.filter(pk=offer.variant_id).update(
                stock_quantity=F("stock_quantity") - delta
            )
