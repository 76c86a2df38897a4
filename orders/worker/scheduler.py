"""The worker's one-minute tick: the hub runs itself, week after week.

``run_tick`` is called every minute by the Huey consumer (``tick`` below). Each
step finds its work with a cheap query, then **claims** each piece with a conditional
UPDATE (``... WHERE opened_at IS NULL``): when two consumers tick at once, or a tick is
repeated after a crash, only one of them gets each piece. What a step owes people
(e-mails) is written in the same transaction as its claim (``orders.outbox``), so a step
never owes an e-mail twice, and the outbox never sends one twice.

1. Open due cycles: mark them opened, owe the "the shop is open" e-mails; then place the
   weekly baskets of every open cycle that has some still to place (``orders.weekly``).
2. Close due cycles (``close_cycle``), in resumable steps: settle card payments, owe the
   producers' and households' e-mails, queue the packing documents.
3. Create the coming cycles from the hubs' weekly schedules (``orders.schedules``).
4. Owe the households' pickup reminders (the day before) and the coordinators' volunteer
   lists (the morning of distribution).
5. Once a closed cycle's last pickup slot has ended, make its adjustments final, and queue the
   issuing of the invoices of every cycle not all invoiced (``orders.billing.invoices``).
6. Send what is owed.

A step that fails is logged and the others still run; the next tick tries it again.
"""

import logging
import secrets
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from orders import outbox
from orders.billing import invoices
from orders.checkout import services
from orders.emails import close_emails, notifications
from orders.models import (
    CycleDocument,
    CyclePickupPoint,
    Order,
    OrderCycle,
    WorkerHeartbeat,
)
from orders.money import payments
from orders.planning import schedules
from orders.printouts import documents
from orders.weekly_baskets import weekly

logger = logging.getLogger(__name__)

# A worker closing a cycle holds it this long (renewed between steps); if it dies, the
# next tick after that takes the closing over from the last step done.
CLOSE_LEASE = timedelta(minutes=3)
# Households are reminded the day before their pickup, from this time (Europe/Paris) on;
# coordinators get their volunteer list the morning of distribution, from this time on.
REMINDER_TIME = time(10, 0)
VOLUNTEER_LIST_TIME = time(7, 0)

# When Stripe cannot be reached at close, the payments step is retried for this long
# before the closing goes on without them.
PAYMENT_RETRIES_FOR = timedelta(minutes=30)

# The steps of closing a cycle, in order; ``OrderCycle.close_step`` is the last one done.
SETTLE_PAYMENTS = 10
OWE_EMAILS = 20
QUEUE_DOCUMENTS = 30
CLOSE_DONE = 100


class PaymentsNotSettled(Exception):
    """Some card payments of a closing cycle could not be settled (Stripe unreachable)."""


def run_tick(now: datetime | None = None) -> None:
    """One tick of the worker (every minute). ``now`` is for tests; the clock otherwise."""
    now = now or timezone.now()
    WorkerHeartbeat.beat(now=now)
    steps = (
        open_due_cycles, close_due_cycles, create_scheduled_cycles, owe_pickup_emails,
        invoices.finalise_due_cycles,
    )  # fmt: skip
    for step in steps:
        try:
            step(now)
        except Exception:
            logger.exception("Tick step %s failed; the next tick tries again", step.__name__)
    outbox.send_due()


# 1. Opening


def open_due_cycles(now: datetime) -> list[OrderCycle]:
    """Mark the published cycles whose opening time has come as opened, and owe the
    "the shop is open" e-mails of those still open. Then place weekly baskets."""
    opened = []
    due = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED, opened_at__isnull=True, opens_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        try:
            with transaction.atomic():
                claimed = OrderCycle.objects.filter(
                    pk=pk,
                    status=OrderCycle.Status.PUBLISHED,
                    opened_at__isnull=True,
                    opens_at__lte=now,
                ).update(opened_at=now)
                if not claimed:
                    continue  # another worker has it
                cycle = OrderCycle.objects.select_related("hub").get(pk=pk)
                # A cycle that opened and closed while the worker was down is not announced.
                if cycle.closes_at > now:
                    outbox.owe(notifications.opening_emails(cycle), now=now)
        except Exception:  # rolled back: the next tick tries this cycle again
            logger.exception("Cycle %s: opening failed", pk)
            continue
        opened.append(cycle)
    place_weekly_baskets(now)
    return opened


def place_weekly_baskets(now: datetime) -> None:
    """Place the weekly baskets of every open cycle that has some still to place (each
    basket once per cycle: ``orders.weekly`` takes a unique run row first)."""
    open_cycles = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED,
        opened_at__isnull=False,
        opens_at__lte=now,
        closes_at__gt=now,
    ).select_related("hub")
    for cycle in open_cycles:
        try:
            weekly.place_baskets(cycle, now=now)
        except Exception:
            logger.exception("Cycle %s: placing weekly baskets failed", cycle.pk)


# 2. Closing


def close_due_cycles(now: datetime) -> list[int]:
    due = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED, closed_at__isnull=True, closes_at__lte=now
    ).values_list("pk", flat=True)
    closed = []
    for pk in list(due):
        try:  # one cycle that cannot close (its hub's Stripe account...) holds up no other
            if close_cycle(pk, now=now):
                closed.append(pk)
        except Exception:
            logger.exception("Cycle %s: closing failed; the next tick goes on from there", pk)
    return closed


class LeaseLost(Exception):
    """Another worker took the closing over (this one was too slow): this one stops."""


def _new_lease(now: datetime | None = None) -> datetime:
    # Each claim or renewal writes a value of its own: it is also this worker's token.
    now = now or timezone.now()
    return now + CLOSE_LEASE + timedelta(microseconds=secrets.randbelow(10**6))


def _claim_close(pk: int, now: datetime) -> datetime | None:
    """Take the closing of a cycle for CLOSE_LEASE, unless another worker holds it.
    Returns the lease (this worker's token), or None.

    The cycle row is locked first (FOR UPDATE), which waits for the orders being placed
    at this very moment (they hold it FOR KEY SHARE): an order that passed its check a
    moment before the closing time is committed before the closing looks at the orders,
    and one that comes after finds the shop closed."""
    lease = _new_lease(now)
    with transaction.atomic():
        cycle = (
            OrderCycle.objects.select_for_update(of=("self",))
            .filter(
                Q(close_lease_until__isnull=True) | Q(close_lease_until__lt=now),
                pk=pk,
                status=OrderCycle.Status.PUBLISHED,
                closed_at__isnull=True,
                closes_at__lte=now,
            )
            .only("pk")
            .first()
        )
        if cycle is None:
            return None
        OrderCycle.objects.filter(pk=pk).update(
            close_lease_until=lease, close_started_at=Coalesce("close_started_at", Value(now))
        )
    return lease


class _Closing:
    """A worker's hold on a cycle's closing: every write checks the lease is still its own."""

    RENEW_EVERY = timedelta(seconds=20)

    def __init__(self, cycle: OrderCycle, lease: datetime):
        self.cycle, self.lease = cycle, lease
        self.renewed = timezone.now()

    def _update(self, **fields) -> None:
        lease = _new_lease() if "close_lease_until" not in fields else None
        if lease is not None:
            fields["close_lease_until"] = lease
        if not OrderCycle.objects.filter(pk=self.cycle.pk, close_lease_until=self.lease).update(
            **fields
        ):
            raise LeaseLost(self.cycle.pk)
        self.lease, self.renewed = fields["close_lease_until"], timezone.now()

    def keep(self) -> None:
        """Renew the lease now and then during a long step."""
        if timezone.now() - self.renewed > self.RENEW_EVERY:
            self._update()

    def step_done(self, step: int) -> None:
        """Record a step done (call in the step's own transaction)."""
        self._update(close_step=step)
        self.cycle.close_step = step

    def done(self) -> None:
        self._update(close_step=CLOSE_DONE, closed_at=timezone.now(), close_lease_until=None)

    def release(self) -> None:
        """Let the next tick take over at once (only if the lease is still ours)."""
        OrderCycle.objects.filter(pk=self.cycle.pk, close_lease_until=self.lease).update(
            close_lease_until=None
        )


def close_cycle(pk: int, *, now: datetime | None = None) -> bool:
    """Close a cycle whose closing time has passed, from the step it got to.

    1. Card payments (``_settle_payments``): an order still awaiting its card payment is
       placed if Stripe says it was paid (a lost webhook), else cancelled and its stock
       given back; weekly baskets paying by saved card are charged. Each order's money is
       idempotent on its own (Stripe idempotency keys, payments rows), so redoing this
       step after a crash charges nobody twice.
    2. In one transaction: owe each producer its totals with the pick list PDF (hub
       managers in copy), and each household its final order.
    3. Queue the packing sheets and crate labels.

    Returns whether this worker closed it (False: another worker holds it, or it is not due).
    """
    now = now or timezone.now()
    lease = _claim_close(pk, now)
    if lease is None:
        return False
    closing = _Closing(OrderCycle.objects.select_related("hub").get(pk=pk), lease)
    try:
        for step, run in ((SETTLE_PAYMENTS, _settle_payments), (OWE_EMAILS, _owe_close_emails),
                          (QUEUE_DOCUMENTS, _queue_documents)):  # fmt: skip
            if closing.cycle.close_step < step:
                run(closing, now)
        closing.done()
    except LeaseLost:
        logger.warning("Cycle %s: another worker took the closing over", pk)
        return False
    except Exception:
        closing.release()
        raise
    logger.info("Cycle %s (%s) closed", pk, closing.cycle)
    return True


def settle_unpaid_at_close(order: Order, *, now=None) -> str:
    """An order still awaiting its card payment when the cycle closes is settled for good:
    paid after all (a webhook was lost), still processing at the bank (its webhook will
    tell), or cancelled, its stock given back and the household told.

    Returns "paid", "processing", "cancelled" or "unchanged". Safe to call twice.
    """
    outcome = payments.settle_intents_at_close(order)
    if outcome != "unpaid":
        return outcome
    services.cancel_order(
        order=order,
        force=True,
        reason=_("the card payment was not made before the shop closed"),
        now=now,
    )
    return "cancelled"


def _settle_payments(closing: _Closing, now: datetime) -> None:
    cycle = closing.cycle
    unsettled, uncharged = [], []
    awaiting = cycle.orders.filter(status=Order.Status.AWAITING_PAYMENT).order_by("pk")
    for order in awaiting:
        closing.keep()
        try:
            settle_unpaid_at_close(order, now=now)
        except Exception:
            unsettled.append(order)
            logger.exception("Order %s: could not settle its card payment at close", order)
    for order in weekly.orders_to_charge(cycle).order_by("pk"):
        closing.keep()
        try:
            weekly.charge_at_close(order)
        except Exception:
            uncharged.append(order)
            logger.exception("Order %s: could not charge the saved card at close", order)
    if (unsettled or uncharged) and now < cycle.close_started_at + PAYMENT_RETRIES_FOR:
        # Stripe is down: the next ticks try again (nothing is charged twice), and the
        # e-mails wait for the final amounts.
        raise PaymentsNotSettled(len(unsettled) + len(uncharged))
    # After that the closing goes on without Stripe: an order never paid is cancelled (if
    # it was paid after all, its webhook finds it cancelled and the money is refunded);
    # a weekly basket's order is paid at pickup, and the household told.
    for order in unsettled:
        services.cancel_order(
            order=order, force=True, now=now,
            reason=_("the card payment could not be confirmed before the shop closed"),
        )  # fmt: skip
    for order in uncharged:
        weekly.give_up_charge(order, "stripe_unreachable")
    with transaction.atomic():
        closing.step_done(SETTLE_PAYMENTS)


def _owe_close_emails(closing: _Closing, now: datetime) -> None:
    with transaction.atomic():
        outbox.owe(close_emails.producer_emails(closing.cycle), now=now)
        outbox.owe(close_emails.household_emails(closing.cycle), now=now)
        closing.step_done(OWE_EMAILS)


def _queue_documents(closing: _Closing, now: datetime) -> None:
    cycle = closing.cycle
    with transaction.atomic():
        if cycle.orders.live().exists():
            for kind in (CycleDocument.Kind.PACKING_SHEETS, CycleDocument.Kind.CRATE_LABELS):
                documents.request_document(cycle=cycle, kind=kind, by=None)
        closing.step_done(QUEUE_DOCUMENTS)


# 3. Weekly schedules


def create_scheduled_cycles(now: datetime) -> None:
    schedules.create_due_cycles(now=now)


# 4. Reminders and volunteer lists


def owe_pickup_emails(now: datetime) -> None:
    """The day before a pickup (from REMINDER_TIME), owe each household its reminder; the
    morning of distribution (from VOLUNTEER_LIST_TIME), each coordinator the volunteer
    list. Only for cycles whose closing is processed (the orders are final); a pickup
    missed while the worker was down is not reminded late."""
    local = timezone.localtime(now, timezone.get_default_timezone())
    today = local.date()
    ready = CyclePickupPoint.objects.filter(
        cycle__status=OrderCycle.Status.PUBLISHED, cycle__closed_at__isnull=False
    )
    if local.time() >= REMINDER_TIME:
        _claim_each(
            ready.filter(pickup_date=today + timedelta(days=1), reminders_sent_at__isnull=True),
            "reminders_sent_at",
            notifications.reminder_emails,
            now,
        )
    if local.time() >= VOLUNTEER_LIST_TIME:
        _claim_each(
            ready.filter(pickup_date=today, volunteer_list_sent_at__isnull=True),
            "volunteer_list_sent_at",
            notifications.volunteer_list_emails,
            now,
        )


def _claim_each(pickups, field: str, emails, now: datetime) -> None:
    for pk in list(pickups.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                if not CyclePickupPoint.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(
                    **{field: now}
                ):
                    continue
                cycle_pickup = CyclePickupPoint.objects.select_related(
                    "cycle__hub", "pickup_point"
                ).get(pk=pk)
                outbox.owe(emails(cycle_pickup), now=now)
        except Exception:  # rolled back: the next tick tries again
            logger.exception("Pickup %s: could not queue its %s", pk, field)


# What managers see


@db_periodic_task(crontab(minute="*"))
def tick():
    """Every minute, in the worker: ``run_tick``."""
    run_tick()
