"""Shortages: "delivered 8 of 12", shared between the households who ordered.

After the close a producer brings less of an offer than was ordered. A hub manager
records it once (``record_shortage``: a draft, nothing of the orders changed), looks at
what each household would get (``plan_of``), then confirms (``apply_shortage``), which in
one transaction:

1. locks the shortage, then the offer's order lines (by id: no deadlock with a weighing or
   a correction, which lock a line too);
2. shares the missing units again from what was ordered (``share``): the last orders
   placed lose first (the default), or in proportion to what each household ordered
   (largest remainders, whole units; a tie goes to the order placed first), or by hand;
3. sets each changed line's ``delivered_quantity`` and writes one ``shortage`` entry per
   line whose price changed (keyed ``shortage:<shortage>:<line>``: what the line cost
   before less what it costs now), so that for every order
   ``sum(line.final_total) == order.goods_total - its adjustment entries``;
4. marks the documents built from these orders out of date (their ``updated_at``, which
   ``orders.printouts.documents.orders_state`` reads) and, once committed, has the worker
   build again those that had been built;
5. owes each affected household one e-mail saying what changed, in its order's language
   (keyed ``shortage:<shortage>:order:<order>``: never sent twice).

A second confirmation of the same shortage (a double click, two managers at once) finds it
applied and does nothing. A later shortage of the same offer *replaces* the earlier one: it
is shared again from the quantities ordered (typing 6 after 8 moves the lines from 8 to 6;
typing 12 gives everything back), and the earlier one is marked ``replaced_by`` it.

Lines sold by weight: until weighed, a line delivering fewer units costs its estimate per
unit times the units delivered, and its weight is compared with the estimate of those
(``OrderLine.final_estimated_weight``). A weighed line keeps its weight only while what it delivers
is unchanged: a shortage changing it clears the weight (it was the weight of other
pieces) and the line is weighed again, if anything of it comes; the entries stay true
because each one is the line's price before less its price after.
"""

import copy
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from foodhub.text import french_sort_key
from orders import ledger, outbox
from orders.ledger import BillingError
from orders.models import (
    BalanceEntry,
    CycleDocument,
    Offer,
    Order,
    OrderCycle,
    OrderEvent,
    OrderLine,
    Shortage,
)
from orders.printouts import documents
from orders.solidarity import services as solidarity

EMAIL_KIND = "delivery_changed"


class ShortageError(BillingError):
    """A shortage or a correction that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class Change:
    """One line whose delivered quantity changes: from ``before`` units to ``after``, its
    price from ``cost_before`` to ``cost_after`` (``amount``: what the household is owed
    for it, negative when it owes)."""

    line: OrderLine
    before: int
    after: int
    cost_before: Decimal
    cost_after: Decimal

    @property
    def amount(self) -> Decimal:
        return self.cost_before - self.cost_after


@dataclass
class Household:
    order: Order
    changes: list[Change] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((change.amount for change in self.changes), Decimal("0.00"))


@dataclass
class Plan:
    """What applying a shortage does now: each household whose lines change, by name."""

    shortage: Shortage
    ordered: int
    households: list[Household]

    @property
    def amount(self) -> Decimal:
        return sum((household.amount for household in self.households), Decimal("0.00"))

    @property
    def fingerprint(self) -> str:
        """Names the plan: a confirmation sent with it applies this plan and no other
        (a correction made meanwhile changes it)."""
        text = ";".join(
            f"{c.line.pk}:{c.before}:{c.after}:{c.cost_after}"
            for household in self.households
            for c in household.changes
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Applied:
    shortage: Shortage
    plan: Plan | None  # None when it had already been applied
    already: bool = False


# Sharing


def share(lines: list[OrderLine], delivered: int, strategy: str, by_hand=None) -> dict[int, int]:
    """{line id: units it gets}, the lines' units adding up to ``delivered``. ``lines``
    carry their order (``placed_at``: who ordered last)."""
    ordered = sum(line.quantity for line in lines)
    if strategy == Shortage.Strategy.BY_HAND:
        return {line.pk: int(by_hand[str(line.pk)]) for line in lines}
    if strategy == Shortage.Strategy.PROPORTIONAL:
        return _proportional(lines, delivered, ordered)
    return _last_first(lines, ordered - delivered)


def _placed(line: OrderLine) -> tuple:
    return (line.order.placed_at, line.order_id, line.pk)


def _last_first(lines: list[OrderLine], missing: int) -> dict[int, int]:
    gets = {line.pk: line.quantity for line in lines}
    for line in sorted(lines, key=_placed, reverse=True):
        if missing <= 0:
            break
        taken = min(missing, line.quantity)
        gets[line.pk] -= taken
        missing -= taken
    return gets


def _proportional(lines: list[OrderLine], delivered: int, ordered: int) -> dict[int, int]:
    """Largest remainders: each line gets the whole part of its share, then the units
    left go one each to the largest fractions; between equal fractions, to the order
    placed first. Integers only: no rounding error."""
    if not ordered:
        return {}
    gets, remainders = {}, []
    for line in lines:
        whole, remainder = divmod(line.quantity * delivered, ordered)
        gets[line.pk] = whole
        remainders.append((-remainder, _placed(line), line.pk))
    left = delivered - sum(gets.values())
    for _remainder, _order, pk in sorted(remainders)[:left]:
        gets[pk] += 1
    return gets


# Checks


def check_closed(cycle: OrderCycle, now: datetime | None = None) -> None:
    if cycle.phase(now) != OrderCycle.Phase.CLOSED:
        raise ShortageError(_("Shortages and corrections are recorded once the cycle has closed."))
    ledger.check_adjustable(cycle, ShortageError)


def checked_units(value, *, most: int) -> int:
    """A whole number of units between 0 and ``most``. Text is read by the forms."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ShortageError(_("Enter a whole number of units, such as 8."))
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral()):
        raise ShortageError(_("Enter a whole number of units, such as 8."))
    value = int(value)
    if value < 0:
        raise ShortageError(_("A quantity delivered is 0 or more."))
    if value > most:
        raise ShortageError(
            _("%(delivered)s is more than was ordered (%(ordered)s).")
            % {"delivered": number_format(value), "ordered": number_format(most)}
        )
    return value


def offer_lines(cycle: OrderCycle, offer: Offer, *, lock: bool = False) -> list[OrderLine]:
    """The lines of ``offer`` in the cycle's orders that are not cancelled, by id."""
    lines = OrderLine.objects.filter(offer=offer, order__cycle=cycle).exclude(
        order__status=Order.Status.CANCELLED
    )
    if lock:
        lines = lines.select_for_update(of=("self",))
    return list(lines.select_related("order__customer").order_by("pk"))


def _check_lines(lines: list[OrderLine]) -> None:
    for line in lines:
        if line.order.status != Order.Status.PLACED:
            raise ShortageError(
                _("An order of this product still waits for its card payment: record the "
                  "shortage once the close has settled it.")
            )  # fmt: skip
        if line.order.customer_id is None:
            raise ShortageError(_("An order of this product has no household record."))


def _checked_by_hand(lines: list[OrderLine], delivered: int, quantities) -> dict[str, int]:
    if not isinstance(quantities, dict):
        raise ShortageError(_("Give the quantity each household gets."))
    wanted = {str(line.pk) for line in lines}
    if set(map(str, quantities)) != wanted:
        raise ShortageError(_("Give the quantity each household gets."))
    checked = {}
    for line in lines:
        try:
            given = quantities.get(str(line.pk), quantities.get(line.pk))
            checked[str(line.pk)] = checked_units(given, most=line.quantity)
        except ShortageError:
            raise ShortageError(
                _("%(name)s ordered %(ordered)s: give a whole number from 0 to %(ordered)s.")
                % {"name": line.order.full_name, "ordered": line.quantity}
            ) from None
    given = sum(checked.values())
    if given != delivered:
        raise ShortageError(
            _("The quantities given add up to %(given)s, not the %(delivered)s delivered.")
            % {"given": given, "delivered": delivered}
        )
    return checked


# Use cases


def record_shortage(
    *,
    cycle: OrderCycle,
    offer: Offer,
    delivered,
    strategy: str = Shortage.Strategy.LAST_FIRST,
    quantities: dict | None = None,
    by,
    now: datetime | None = None,
) -> Shortage:
    """Record that ``delivered`` units of ``offer`` came, to be shared by ``strategy``
    (by hand: ``quantities``, {line id: units}). Nothing of the orders changes until it is
    applied (``apply_shortage``)."""
    if offer.cycle_id != cycle.pk:
        raise ShortageError(_("This product is not offered in this cycle."))
    if strategy not in Shortage.Strategy.values:
        raise ShortageError(_("Choose how the shortage is shared."))
    check_closed(cycle, now)
    lines = offer_lines(cycle, offer)
    if not lines:
        raise ShortageError(_("Nobody ordered this product in this cycle."))
    _check_lines(lines)
    ordered = sum(line.quantity for line in lines)
    delivered = checked_units(delivered, most=ordered)
    earlier = _applied(offer).exists()
    if delivered == ordered and not earlier:
        raise ShortageError(_("Everything ordered was delivered: there is no shortage to share."))
    checked = {}
    if strategy == Shortage.Strategy.BY_HAND:
        checked = _checked_by_hand(lines, delivered, quantities)
    return Shortage.objects.create(
        cycle=cycle, offer=offer, delivered=delivered, strategy=strategy, quantities=checked,
        by=by, created_at=now or timezone.now(),
    )  # fmt: skip


def _applied(offer: Offer):
    return Shortage.objects.filter(offer=offer, applied_at__isnull=False, replaced_by=None)


def earlier_shortage(shortage: Shortage) -> Shortage | None:
    """The applied shortage of the same offer this one replaces, if any."""
    return _applied(shortage.offer).exclude(pk=shortage.pk).order_by("-applied_at").first()


def plan_of(shortage: Shortage, lines: list[OrderLine] | None = None) -> Plan:
    """What applying ``shortage`` now would do: nothing is written."""
    if lines is None:
        lines = offer_lines(shortage.cycle, shortage.offer)
    ordered = sum(line.quantity for line in lines)
    if shortage.strategy == Shortage.Strategy.BY_HAND and set(shortage.quantities) != {
        str(line.pk) for line in lines
    }:
        raise ShortageError(_("The orders changed since it was recorded: record it again."))
    if shortage.delivered > ordered:
        raise ShortageError(_("The orders changed since it was recorded: record it again."))
    gets = share(lines, shortage.delivered, shortage.strategy, shortage.quantities)
    households: dict[int, Household] = {}
    for line in lines:
        after = gets.get(line.pk, line.quantity)
        if after == line.final_quantity:
            continue
        changed = with_delivered(line, after)
        change = Change(line, line.final_quantity, after, line.final_total, changed.final_total)
        households.setdefault(line.order_id, Household(line.order)).changes.append(change)
    found = sorted(
        households.values(), key=lambda h: (french_sort_key(h.order.full_name), h.order.pk)
    )
    return Plan(shortage=shortage, ordered=ordered, households=found)


def with_delivered(line: OrderLine, units: int) -> OrderLine:
    """A copy of ``line`` delivering ``units`` (its weight dropped if that changes what
    it delivers: the weight was that of other pieces)."""
    changed = copy.copy(line)
    changed.delivered_quantity = None if units == line.quantity else units
    if units != line.final_quantity and line.actual_weight is not None:
        changed.actual_weight = changed.weighed_at = changed.weighed_by_id = None
    return changed


def apply_shortage(
    *, shortage: Shortage | int, by, fingerprint: str | None = None, now: datetime | None = None
) -> Applied:
    """Apply a recorded shortage, once (see the module's steps). ``fingerprint``: the
    plan the manager saw; if the orders changed since, nothing is written."""
    now = now or timezone.now()
    with transaction.atomic():
        shortage = (
            Shortage.objects.select_for_update(of=("self",))
            .select_related("cycle__hub", "offer")
            .get(pk=getattr(shortage, "pk", shortage))
        )
        if shortage.applied_at is not None:
            return Applied(shortage, None, already=True)
        check_closed(shortage.cycle, now)
        lines = offer_lines(shortage.cycle, shortage.offer, lock=True)
        _check_lines(lines)
        plan = plan_of(shortage, lines)
        if fingerprint is not None and fingerprint != plan.fingerprint:
            raise ShortageError(
                _("The orders changed since you looked: check what each household gets again.")
            )
        changes = [change for household in plan.households for change in household.changes]
        write_changes(
            changes, kind=BalanceEntry.Kind.SHORTAGE, key=f"shortage:{shortage.pk}", by=by, now=now
        )
        _applied(shortage.offer).exclude(pk=shortage.pk).update(replaced_by=shortage)
        shortage.applied_at = now
        shortage.save(update_fields=["applied_at"])
        owe_emails(plan.households, key=f"shortage:{shortage.pk}", kind="shortage", now=now)
        after_change(shortage.cycle, by)
    return Applied(shortage, plan)


def write_changes(changes: list[Change], *, kind: str, key: str, by, now, reason: str = ""):
    """Set the lines' delivered quantities and write an entry for each whose price
    changed; the orders' documents are then out of date. Inside the caller's transaction,
    the lines locked."""
    # Lines getting the same quantity are set by one UPDATE (a shortage over 500 orders
    # gives most of them the same few quantities); the weights cleared by another.
    same = defaultdict(list)
    unweighed = []
    fund_before = [(change.line, solidarity.line_fund(change.line)) for change in changes]
    for change in changes:
        line, changed = change.line, with_delivered(change.line, change.after)
        same[changed.delivered_quantity].append(line.pk)
        if changed.actual_weight is None and line.actual_weight is not None:
            unweighed.append(line.pk)
        line.delivered_quantity = changed.delivered_quantity
        line.actual_weight, line.weighed_at = changed.actual_weight, changed.weighed_at
        line.weighed_by_id = changed.weighed_by_id
    for delivered, pks in same.items():
        OrderLine.objects.filter(pk__in=pks).update(delivered_quantity=delivered)
    if unweighed:
        OrderLine.objects.filter(pk__in=unweighed).update(
            actual_weight=None, weighed_at=None, weighed_by=None
        )
    ledger.add_entries(
        [
            {"customer": change.line.order.customer, "kind": kind, "amount": change.amount,
             "key": f"{key}:{change.line.pk}", "order": change.line.order, "by": by,
             "reason": reason}
            for change in changes
            if change.amount
        ]
    )  # fmt: skip
    # At a solidarity price the producer is paid what is delivered at full price: the
    # fund follows each line (the lines are locked).
    solidarity.follow_lines(fund_before, key=key)
    # Each order's history says what changed, who did it and when (the volunteers' page
    # shows it), as a change by its household does: "3→1 Pain de campagne — 1 kg".
    details = defaultdict(list)
    for change in changes:
        line = change.line
        details[line.order_id].append(
            f"{change.before}→{change.after} {line.product_name} — {line.variant_name}"
        )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=order_id, kind=OrderEvent.Kind.CHANGED, at=now, by=by,
            detail=("; ".join(texts) + (f" ({reason})" if reason else ""))[:1000],
        )
        for order_id, texts in details.items()
    )  # fmt: skip
    # The documents read the orders' ``updated_at``: these are out of date.
    Order.objects.filter(pk__in=details).update(updated_at=now)


def owe_emails(households: list[Household], *, key: str, kind: str, now, reason: str = ""):
    """One e-mail per household, in its order's language, with what changed and what it
    costs now (the numbers as written: the e-mail says what was done, even if the line
    changes again before it leaves)."""
    emails = []
    for household in households:
        order = household.order
        lines = [
            {
                "product": f"{c.line.product_name} — {c.line.variant_name}",
                "ordered": c.line.quantity,
                "before": c.before,
                "delivered": c.after,
                "amount": str(c.amount),
                "cost": str(c.cost_after),
                "by_weight": c.line.is_by_weight,
            }
            for c in household.changes
        ]
        emails.append(
            outbox.Owed(
                key=f"{key}:order:{order.pk}",
                kind=EMAIL_KIND,
                to=order.email,
                params={
                    "order_id": order.pk, "kind": kind, "lines": lines,
                    "amount": str(household.amount), "reason": reason,
                },
                language=order.language or settings.LANGUAGE_CODE,
            )
        )  # fmt: skip
    outbox.owe(emails, now=now)
    transaction.on_commit(outbox.send_emails, robust=True)


def after_change(cycle: OrderCycle, by) -> None:
    """Once committed: the worker builds again the cycle's documents that had been built
    (their orders changed); the others are built from the new state when asked for."""

    def rebuild():
        built = cycle.documents.filter(status=CycleDocument.Status.DONE)
        for kind in sorted(set(built.values_list("kind", flat=True))):
            documents.request_document(cycle=cycle, kind=kind, by=by)

    transaction.on_commit(rebuild, robust=True)


def shortages_of(cycle: OrderCycle):
    """The cycle's shortages applied and not replaced, latest first."""
    return (
        Shortage.objects.filter(cycle=cycle, applied_at__isnull=False, replaced_by=None)
        .select_related("offer__variant__product", "by")
        .order_by("-applied_at", "-pk")
    )
