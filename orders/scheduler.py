"""The worker's one-minute tick: the hub runs itself, week after week.

``run_tick`` is called every minute by the Huey consumer (``orders.tasks.tick``). Each
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
5. Send what is owed.

A step that fails is logged and the others still run; the next tick tries it again.
"""

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import outbox
from .models import (
    CycleDocument,
    CyclePickupPoint,
    Order,
    OrderCycle,
    OutgoingEmail,
    WorkerHeartbeat,
)

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
    for step in (open_due_cycles, close_due_cycles, create_scheduled_cycles, owe_pickup_emails):
        try:
            step(now)
        except Exception:
            logger.exception("Tick step %s failed; the next tick tries again", step.__name__)
    outbox.send_due()


# 1. Opening


def open_due_cycles(now: datetime) -> list[OrderCycle]:
    """Mark the published cycles whose opening time has come as opened, and owe the
    "the shop is open" e-mails of those still open. Then place weekly baskets."""
    from . import notifications

    opened = []
    due = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED, opened_at__isnull=True, opens_at__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
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
        opened.append(cycle)
    place_weekly_baskets(now)
    return opened


def place_weekly_baskets(now: datetime) -> None:
    """Place the weekly baskets of every open cycle that has some still to place (each
    basket once per cycle: ``orders.weekly`` takes a unique run row first)."""
    from . import weekly

    open_cycles = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED,
        opened_at__isnull=False,
        opens_at__lte=now,
        closes_at__gt=now,
    ).select_related("hub")
    for cycle in open_cycles:
        weekly.place_baskets(cycle, now=now)


# 2. Closing


def close_due_cycles(now: datetime) -> list[int]:
    due = OrderCycle.objects.filter(
        status=OrderCycle.Status.PUBLISHED, closed_at__isnull=True, closes_at__lte=now
    ).values_list("pk", flat=True)
    return [pk for pk in list(due) if close_cycle(pk, now=now)]


def _claim_close(pk: int, now: datetime) -> bool:
    """Take the closing of a cycle for CLOSE_LEASE, unless another worker holds it."""
    return bool(
        OrderCycle.objects.filter(
            Q(close_lease_until__isnull=True) | Q(close_lease_until__lt=now),
            pk=pk,
            status=OrderCycle.Status.PUBLISHED,
            closed_at__isnull=True,
            closes_at__lte=now,
        ).update(
            close_lease_until=now + CLOSE_LEASE,
            close_started_at=Coalesce("close_started_at", Value(now)),
        )
    )


def _step_done(cycle: OrderCycle, step: int, now: datetime) -> None:
    """Record a step done (in the step's own transaction) and renew the lease."""
    OrderCycle.objects.filter(pk=cycle.pk).update(
        close_step=step, close_lease_until=timezone.now() + CLOSE_LEASE
    )
    cycle.close_step = step


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
    if not _claim_close(pk, now):
        return False
    cycle = OrderCycle.objects.select_related("hub").get(pk=pk)
    try:
        for step, run in ((SETTLE_PAYMENTS, _settle_payments), (OWE_EMAILS, _owe_close_emails),
                          (QUEUE_DOCUMENTS, _queue_documents)):  # fmt: skip
            if cycle.close_step < step:
                run(cycle, now)
    except Exception:
        # Let the next tick take over at once, from the last step done.
        OrderCycle.objects.filter(pk=pk).update(close_lease_until=None)
        raise
    OrderCycle.objects.filter(pk=pk).update(
        close_step=CLOSE_DONE, closed_at=timezone.now(), close_lease_until=None
    )
    logger.info("Cycle %s (%s) closed", cycle.pk, cycle)
    return True


def _settle_payments(cycle: OrderCycle, now: datetime) -> None:
    from . import payments, weekly

    failures = 0
    awaiting = cycle.orders.filter(status=Order.Status.AWAITING_PAYMENT).order_by("pk")
    for order in awaiting:
        try:
            payments.settle_unpaid_at_close(order, now=now)
        except Exception:
            failures += 1
            logger.exception("Order %s: could not settle its card payment at close", order)
    for order in weekly.orders_to_charge(cycle).order_by("pk"):
        try:
            weekly.charge_at_close(order)
        except Exception:
            failures += 1
            logger.exception("Order %s: could not charge the saved card at close", order)
    if failures and now < cycle.closes_at + PAYMENT_RETRIES_FOR:
        # Stripe is down: the next ticks try again (nothing is charged twice), and the
        # e-mails wait for the final amounts. After a while the closing goes on without:
        # an order left awaiting its payment shows so to the manager, and is not packed.
        raise PaymentsNotSettled(failures)
    with transaction.atomic():
        _step_done(cycle, SETTLE_PAYMENTS, now)


def _owe_close_emails(cycle: OrderCycle, now: datetime) -> None:
    from . import close_emails

    with transaction.atomic():
        outbox.owe(close_emails.producer_emails(cycle), now=now)
        outbox.owe(close_emails.household_emails(cycle), now=now)
        _step_done(cycle, OWE_EMAILS, now)


def _queue_documents(cycle: OrderCycle, now: datetime) -> None:
    from . import documents

    with transaction.atomic():
        if cycle.orders.live().exists():
            for kind in (CycleDocument.Kind.PACKING_SHEETS, CycleDocument.Kind.CRATE_LABELS):
                documents.request_document(cycle=cycle, kind=kind, by=None)
        _step_done(cycle, QUEUE_DOCUMENTS, now)


# 3. Weekly schedules


def create_scheduled_cycles(now: datetime) -> None:
    from . import schedules

    schedules.create_due_cycles(now=now)


# 4. Reminders and volunteer lists


def owe_pickup_emails(now: datetime) -> None:
    """The day before a pickup (from REMINDER_TIME), owe each household its reminder; the
    morning of distribution (from VOLUNTEER_LIST_TIME), each coordinator the volunteer
    list. Only for cycles whose closing is processed (the orders are final); a pickup
    missed while the worker was down is not reminded late."""
    from . import notifications

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
        with transaction.atomic():
            if not CyclePickupPoint.objects.filter(pk=pk, **{f"{field}__isnull": True}).update(
                **{field: now}
            ):
                continue
            cycle_pickup = CyclePickupPoint.objects.select_related(
                "cycle__hub", "pickup_point"
            ).get(pk=pk)
            outbox.owe(emails(cycle_pickup), now=now)


# What managers see


def closing_emails(cycle: OrderCycle) -> dict[str, int]:
    """How many of the cycle's closing e-mails are sent, waiting, failed, or not known to
    have left ("unknown": a worker died while sending them)."""
    from django.db.models import Count

    counts = dict.fromkeys(("sent", "waiting", "failed", "unknown"), 0)
    rows = (
        OutgoingEmail.objects.filter(key__startswith=f"close:{cycle.pk}:")
        .values("status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[CLOSE_EMAIL_STATES[row["status"]]] += row["n"]
    return counts


CLOSE_EMAIL_STATES = {
    OutgoingEmail.Status.SENT: "sent",
    OutgoingEmail.Status.PENDING: "waiting",
    OutgoingEmail.Status.FAILED: "failed",
    OutgoingEmail.Status.SENDING: "unknown",
}
