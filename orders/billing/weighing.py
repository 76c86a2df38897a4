"""Lines sold by weight, weighed after the close.

Two chickens "of about 1.5 kg" at 12.00 €/kg were ordered at 36.00 €, the estimate. Weighed
at 3.240 kg, they cost 38.88 €. The order keeps what was placed; the difference is an entry
of the household's balance (``weight``: here -2.88 €, what the household owes), written in
the same transaction as the weight. Weighing the line again (a typo put right) adds the
difference with the previous weight: the entries of a line always add up to its estimate
less its price. A weight far from the estimate (under half, over twice) is written only
once confirmed.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from orders import ledger
from orders.ledger import BillingError
from orders.models import BalanceEntry, Order, OrderCycle, OrderLine
from orders.solidarity import services as solidarity

GRAM = Decimal("0.001")
MAX_WEIGHT = Decimal("999.999")  # kg: what a line's weight holds
# A weight outside [estimate × LOW, estimate × HIGH] is asked to be confirmed.
LOW, HIGH = Decimal("0.5"), Decimal("2")


class WeighingError(BillingError):
    """A weight that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class Weighed:
    """What recording a weight did: the line (as it is now), the balance entry written
    (None when the price did not change), or, for a weight far from the estimate not yet
    confirmed, nothing but ``needs_confirmation``."""

    line: OrderLine
    entry: BalanceEntry | None = None
    needs_confirmation: bool = False


def checked_weight(value) -> Decimal:
    """A weight in kg, to the gram: positive, at most ``MAX_WEIGHT``. Text is read by the
    forms (``foodhub.inputs``), never here."""
    message = _("Enter a weight in kg, such as 1.250.")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise WeighingError(message)
    weight = Decimal(value)
    if not weight.is_finite():  # NaN, sNaN, infinity
        raise WeighingError(message)
    if weight <= 0:
        raise WeighingError(_("A weight is more than 0 kg."))
    if weight > MAX_WEIGHT:
        raise WeighingError(
            _("%(weight)s kg is more than a line can weigh (%(most)s kg).")
            % {"weight": number_format(weight), "most": number_format(MAX_WEIGHT)}
        )
    weight = weight.quantize(GRAM, rounding=ROUND_HALF_UP)
    if weight <= 0:  # under half a gram
        raise WeighingError(_("A weight is more than 0 kg."))
    return weight


def far_from_estimate(line: OrderLine, weight: Decimal) -> bool:
    """Compared with the estimate of what is delivered (after a shortage, fewer pieces)."""
    estimate = line.final_estimated_weight
    return not estimate * LOW <= weight <= estimate * HIGH


def record_weight(
    *, line: OrderLine | int, weight, by, confirmed: bool = False, now: datetime | None = None
) -> Weighed:
    """Record the real weight (kg) of an order line sold by weight, once its cycle has
    closed; its difference with the line's price so far goes to the household's balance."""
    weight = checked_weight(weight)
    now = now or timezone.now()
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("order__cycle", "order__customer")
            .get(pk=getattr(line, "pk", line))
        )
        _check_weighable(line, now)
        if not confirmed and far_from_estimate(line, weight):
            return Weighed(line, needs_confirmation=True)
        if line.actual_weight == weight:
            return Weighed(line)
        before, fund_before = line.final_total, solidarity.line_fund(line)
        line.actual_weight, line.weighed_at, line.weighed_by = weight, now, by
        line.save(update_fields=["actual_weight", "weighed_at", "weighed_by"])
        difference = before - line.final_total
        entry = None
        # The line is locked: its weighings are numbered one after the other.
        key = ledger.next_key(f"weight:{line.pk}")
        if difference:
            entry = ledger.add_entry(
                customer=line.order.customer,
                kind=BalanceEntry.Kind.WEIGHT,
                amount=difference,
                key=key,
                order=line.order,
                by=by,
            )
        # At a solidarity price the producer is paid the weight at full price: the fund
        # follows (under the same line lock).
        solidarity.follow_line(line, fund_before, key=key)
    return Weighed(line, entry)


def _check_weighable(line: OrderLine, now: datetime) -> None:
    if not line.is_by_weight:
        raise WeighingError(_("This product is not sold by weight."))
    if line.order.status == Order.Status.CANCELLED:
        raise WeighingError(_("This order was cancelled: there is nothing to weigh."))
    if line.final_quantity == 0:
        raise WeighingError(_("Nothing of this line is delivered: there is nothing to weigh."))
    if line.order.status != Order.Status.PLACED:
        # At the close the worker settles it: paid, or cancelled (and then nothing of its
        # weighing must stay in the balance).
        raise WeighingError(_("This order's card payment is not settled yet: weigh it once it is."))
    if line.order.cycle.phase(now) != OrderCycle.Phase.CLOSED:
        raise WeighingError(_("Lines are weighed once the cycle has closed."))
    ledger.check_adjustable(line.order.cycle, WeighingError)
    if line.order.customer_id is None:
        raise WeighingError(_("This order has no household record to settle the weight with."))
