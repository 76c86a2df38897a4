"""Where and when a cycle's producers deliver: set by the hub's managers, shown to the
producers on their page "this week" (``orders.producer_week``)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import clock
from orders.models import OrderCycle

from .cycles import CycleError

MAX_PLACE = 255


def set_delivery(*, cycle: OrderCycle, place: str, at: datetime | None) -> OrderCycle:
    """Save where (``place``; empty: the hub's address) and when (``at``; None: not said)
    the producers deliver. Refused, nothing written: a cancelled cycle, a place too long, a
    time before the cycle opens or after its first pickup day."""
    place = (place or "").strip()
    if len(place) > MAX_PLACE:
        raise CycleError(_("The delivery place is too long (at most 255 characters)."))
    if at is not None and (not isinstance(at, datetime) or timezone.is_naive(at)):
        raise CycleError(_("Give the delivery date and time."))
    with transaction.atomic():
        cycle = OrderCycle.objects.select_for_update().get(pk=cycle.pk)
        if cycle.status == OrderCycle.Status.CANCELLED:
            raise CycleError(_("This order cycle was cancelled: it can no longer change."))
        if at is not None:
            if at < cycle.opens_at:
                raise CycleError(_("The producers cannot deliver before the cycle opens."))
            first = cycle.pickups.order_by("pickup_date").values_list("pickup_date", flat=True)
            first = first.first()
            if first is not None and timezone.localtime(at, clock.paris()).date() > first:
                raise CycleError(_("The producers must deliver on or before the first pickup day."))
        cycle.delivery_place, cycle.delivery_at = place, at
        cycle.save(update_fields=["delivery_place", "delivery_at", "updated_at"])
    return cycle
