"""Demo order cycles: for each demo hub, a closed cycle ready to distribute and an open one,
with orders from the demo households placed through the real use cases.

Keyed on (hub, cycle name): running it again creates nothing. The orders are placed with
the clock set inside each cycle's opening hours, and no e-mail is sent.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from orders.checkout import services
from orders.worker import scheduler

from . import clock
from .models import (
    CyclePickupPoint,
    Offer,
    OpeningAlert,
    OrderCycle,
    OutgoingEmail,
    PickupSlot,
    SchedulePickup,
    ScheduleSlot,
    Weekday,
    WeeklySchedule,
)

PAST_CYCLE = "Cycle de la semaine dernière"
OPEN_CYCLE = "Cycle de la semaine"
SLOTS = [(time(17, 0), time(18, 30)), (time(18, 30), time(20, 0))]


def _at(day, hour: int, minute: int = 0) -> datetime:
    return clock.at(day, time(hour, minute))


def load_demo_cycles(*, hubs, households, summary, now: datetime | None = None) -> None:
    """1. For each hub: the past cycle (closed yesterday, pickup tomorrow) and the open one
    (closes in five days), with every variant on sale offered at its catalogue price and
    two slots at each of the hub's pickup points.
    2. Orders from about half the households in each, some paid at pickup already.
    3. A weekly schedule per hub (the worker creates the coming weeks as drafts), and the
    "the shop is open" e-mail asked for by a third of the households.

    The demo world is left as the worker would have left it, had it been running all
    along: the cycles' openings count as done (nobody is told "the shop is open" about
    them), and the past cycle is closed by the worker's own steps, its e-mails (and its
    pickup reminders, once their hour has come) counted as sent. So the first tick after
    loading has nothing to do for them (it used to close last week's cycle and send some
    eighty e-mails at once); the open cycle closes when its time comes."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    created = 0
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible on purpose
    for hub in hubs:
        plans = [
            (PAST_CYCLE, _at(today - timedelta(days=8), 18), _at(today - timedelta(days=1), 0),
             today + timedelta(days=1)),
            (OPEN_CYCLE, _at(today - timedelta(days=1), 18), _at(today + timedelta(days=5), 23, 59),
             today + timedelta(days=7)),
        ]  # fmt: skip
        for name, opens_at, closes_at, pickup_date in plans:
            if OrderCycle.objects.filter(hub=hub, name=name).exists():
                continue
            cycle = _create_cycle(hub, name, opens_at, closes_at, pickup_date)
            _place_orders(cycle, households, rng, at=opens_at + timedelta(hours=2), now=now)
            OrderCycle.objects.filter(pk=cycle.pk).update(opened_at=opens_at)
            if closes_at <= now:
                _process_as_the_worker_did(cycle, now)
            created += 1
        _create_schedule(hub)
        OpeningAlert.objects.bulk_create(
            [OpeningAlert(user=user, hub=hub) for user in households[::3]], ignore_conflicts=True
        )
    summary.record("order cycles", created=created, existing=2 * len(hubs) - created)


def _create_schedule(hub) -> None:
    """Open Friday 18:00, close Tuesday 23:59, pickup Thursday 17:00–20:00 everywhere."""
    if WeeklySchedule.objects.filter(hub=hub).exists():
        return
    schedule = WeeklySchedule.objects.create(
        hub=hub, name="Panier de la semaine", opens_weekday=Weekday.FRIDAY,
        opens_time=time(18, 0), closes_weekday=Weekday.TUESDAY, closes_time=time(23, 59),
        mode=WeeklySchedule.Mode.DRAFT, weeks_ahead=2, fee_percent=Decimal("5.00"),
        fee_fixed=Decimal("0.50"),
        message="Les fraises arrivent ! Pensez à rapporter vos bocaux consignés.",
    )  # fmt: skip
    schedule.producers.set(hub.producers.all())
    for point in hub.pickup_points.all():
        pickup = SchedulePickup.objects.create(
            schedule=schedule, pickup_point=point, weekday=Weekday.THURSDAY
        )
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(pickup=pickup, starts_at=start, ends_at=end, capacity=30)
            for start, end in SLOTS
        )


def _create_cycle(hub, name, opens_at, closes_at, pickup_date) -> OrderCycle:
    cycle = OrderCycle.objects.create(
        hub=hub,
        name=name,
        opens_at=opens_at,
        closes_at=closes_at,
        status=OrderCycle.Status.PUBLISHED,
        fee_percent=Decimal("5.00"),
        fee_fixed=Decimal("0.50"),
        message="Les fraises arrivent ! Pensez à rapporter vos bocaux consignés.",
    )
    variants = [
        variant
        for producer in hub.producers.all()
        for product in producer.products.filter(is_active=True)
        for variant in product.variants.filter(is_active=True)
    ]
    Offer.objects.bulk_create(
        Offer(
            cycle=cycle,
            variant=variant,
            price=variant.price,
            # A few offers are capped for the week, to show "only N left".
            stock_cap=6 if variant.pk % 7 == 0 else None,
        )
        for variant in variants
    )
    for point in hub.pickup_points.all():
        cycle_pickup = CyclePickupPoint.objects.create(
            cycle=cycle, pickup_point=point, pickup_date=pickup_date
        )
        PickupSlot.objects.bulk_create(
            PickupSlot(cycle_pickup=cycle_pickup, starts_at=start, ends_at=end, capacity=30)
            for start, end in SLOTS
        )
    return cycle


def _process_as_the_worker_did(cycle: OrderCycle, now: datetime) -> None:
    """Close a past cycle through the worker's own closing steps (orders final, documents
    queued), then count what it owes as sent: the closing e-mails, and the pickup
    reminders if their time has come."""
    scheduler.close_cycle(cycle.pk, now=now)
    # The reminders are owed the day before the pickup from REMINDER_TIME on.
    local = timezone.localtime(now, timezone.get_default_timezone())
    reminded_until = local.date() + timedelta(days=local.time() >= scheduler.REMINDER_TIME)
    cycle.pickups.filter(pickup_date__lte=reminded_until).update(reminders_sent_at=now)
    OutgoingEmail.objects.filter(key__startswith=f"close:{cycle.pk}:").update(
        status=OutgoingEmail.Status.SENT, sent_at=now
    )


def _place_orders(cycle, households, rng, *, at, now) -> None:
    offers = list(cycle.offers.select_related("variant").order_by("pk"))
    slots = list(PickupSlot.objects.filter(cycle_pickup__cycle=cycle).order_by("pk"))
    if not offers or not slots:
        return
    for user in households[::2]:
        items = {offer.pk: rng.randint(1, 3) for offer in rng.sample(offers, k=4)}
        try:
            order = services.place_order(
                cycle=cycle,
                items=items,
                email=user.email,
                full_name=user.full_name,
                slot=rng.choice(slots),
                user=user,
                notify=False,  # demo households have no mailbox
                now=at,
            )
        except services.OrderError:
            continue  # sold out or slot full: a real week has those too
        if cycle.closes_at < now and rng.random() < 0.3:
            services.record_payment(order=order, method="transfer", amount=order.total, by=None)
