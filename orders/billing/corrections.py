"""A line corrected by the hub after the close: "3 eggs cracked, 9 of 12 given", "the
bread was forgotten, removed" (0). The manager says why.

In one transaction, the line locked: its delivered quantity set (its weight cleared if
that changes what it delivers, as for a shortage), a ``correction`` entry of what it cost
before less what it costs now (keyed ``correction:<line>:<n>``, the line's n-th
correction), the documents out of date, and an e-mail owed to the household with the
reason. Typing the quantity it already delivers changes nothing (a form sent twice).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import ledger
from orders.models import BalanceEntry, Order, OrderLine

from .shortages import (
    Change,
    Household,
    ShortageError,
    after_change,
    check_closed,
    checked_units,
    owe_emails,
    with_delivered,
    write_changes,
)

REASON_LENGTH = 500


@dataclass(frozen=True)
class Corrected:
    line: OrderLine
    change: Change | None  # None: it already delivered that


def correct_line(
    *, line: OrderLine | int, delivered, reason: str, by, now: datetime | None = None
) -> Corrected:
    """Set what the household gets of ``line`` (0 removes it), for ``reason``."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ShortageError(_("Say why the line is corrected."))
    if len(reason) > REASON_LENGTH:
        raise ShortageError(_("Say why in at most 500 characters."))
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order__cycle__hub", "order__customer")
            .get(pk=getattr(line, "pk", line))
        )
        order = line.order
        if order.status == Order.Status.CANCELLED:
            raise ShortageError(_("This order was cancelled: there is nothing to correct."))
        if order.status != Order.Status.PLACED:
            raise ShortageError(
                _("This order's card payment is not settled yet: correct it once it is.")
            )
        check_closed(order.cycle, now)
        if order.customer_id is None:
            raise ShortageError(_("This order has no household record to settle with."))
        units = checked_units(delivered, most=line.quantity)
        if units == line.final_quantity:
            return Corrected(line, None)
        change = Change(
            line,
            line.final_quantity,
            units,
            line.final_total,
            with_delivered(line, units).final_total,
        )
        # The line is locked: its corrections are numbered one after the other.
        key = ledger.next_key(f"correction:{line.pk}")
        write_changes(
            [change], kind=BalanceEntry.Kind.CORRECTION, key=key, by=by, now=now, reason=reason
        )
        # The entry's key ends with the line's id; the e-mail's names the correction.
        owe_emails([Household(order, [change])], key=key, kind="correction", now=now, reason=reason)
        after_change(order.cycle, by)
    return Corrected(line, change)
