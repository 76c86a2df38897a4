"""Demo order cycles, shaped by ``data/cycles.toml``: for each demo hub, a closed cycle ready
to distribute and an open one, with orders from the demo households placed through the real
use cases, and a weekly schedule.

Keyed on (hub, cycle name): running it again creates nothing. The orders are placed with
the clock set inside each cycle's opening hours, and no e-mail is sent.
"""

import random
from datetime import datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from orders import clock
from orders.checkout import services
from orders.models import (
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
from orders.worker import scheduler
from producers.models import Product, Variant

from . import files
from .files import CYCLES, WEEKS
from .inclusion import tier_of


def _at(day, moment: files.Moment) -> datetime:
    """The moment ``moment.day`` days from ``day``, in Paris wall-clock time."""
    return clock.at(day + timedelta(days=moment.day), moment.at)


def load_demo_cycles(*, hubs, households, summary, now: datetime | None = None) -> None:
    """1. For each hub: the cycles of ``cycles.toml`` (last week's closed yesterday, pickup
    tomorrow; this week's open), with every variant on sale offered at its catalogue price
    and the slots at each of the hub's pickup points.
    2. Orders from some of the households in each, some paid at pickup already.
    3. A weekly schedule per hub (the worker creates the coming weeks as drafts), and the
    "the shop is open" e-mail asked for by some of the households.

    The demo world is left as the worker would have left it, had it been running all
    along: the cycles' openings count as done (nobody is told "the shop is open" about
    them), and the past cycle is closed by the worker's own steps, its e-mails (and its
    pickup reminders, once their hour has come) counted as sent. So the first tick after
    loading has nothing to do for them (it used to close last week's cycle and send some
    eighty e-mails at once); the open cycle closes when its time comes."""
    now = now or timezone.now()
    today = clock.today(now)
    created = 0
    rng = random.Random(WEEKS.orders.seed)  # noqa: S311 - demo data, reproducible on purpose
    for hub in hubs:
        for plan in CYCLES.values():
            if OrderCycle.objects.filter(hub=hub, name=plan.name).exists():
                continue
            opens_at, closes_at = _at(today, plan.opens), _at(today, plan.closes)
            pickup_date = today + timedelta(days=plan.pickup_day)
            cycle = create_cycle(hub, plan.name, opens_at, closes_at, pickup_date)
            _place_orders(cycle, households, rng, at=opens_at + timedelta(hours=2), now=now)
            OrderCycle.objects.filter(pk=cycle.pk).update(opened_at=opens_at)
            if closes_at <= now:
                process_as_the_worker_did(cycle, now)
            created += 1
        _create_schedule(hub)
        OpeningAlert.objects.bulk_create(
            [OpeningAlert(user=user, hub=hub) for user in households[:: WEEKS.orders.alerts_every]],
            ignore_conflicts=True,
        )
    summary.record("order cycles", created=created, existing=len(CYCLES) * len(hubs) - created)


def _slots() -> list[tuple[time, time, int]]:
    return [(slot.starts, slot.ends, slot.capacity) for slot in WEEKS.slots]


def _create_schedule(hub) -> None:
    """The weekly schedule of ``cycles.toml``, at every pickup point of the hub."""
    if WeeklySchedule.objects.filter(hub=hub).exists():
        return
    plan = WEEKS.schedule
    schedule = WeeklySchedule.objects.create(
        hub=hub,
        name=plan.name,
        opens_weekday=Weekday[plan.opens.weekday.upper()],
        opens_time=plan.opens.at,
        closes_weekday=Weekday[plan.closes.weekday.upper()],
        closes_time=plan.closes.at,
        mode=WeeklySchedule.Mode(plan.mode),
        weeks_ahead=plan.weeks_ahead,
        fee_percent=WEEKS.fee_percent,
        fee_fixed=WEEKS.fee_fixed,
        message=WEEKS.message,
    )
    schedule.producers.set(hub.producers.all())
    for point in hub.pickup_points.all():
        pickup = SchedulePickup.objects.create(
            schedule=schedule,
            pickup_point=point,
            weekday=Weekday[plan.pickup_weekday.upper()],
        )
        ScheduleSlot.objects.bulk_create(
            ScheduleSlot(pickup=pickup, starts_at=start, ends_at=end, capacity=capacity)
            for start, end, capacity in _slots()
        )


def create_cycle(hub, name, opens_at, closes_at, pickup_date, *, capped=True) -> OrderCycle:
    cycle = OrderCycle.objects.create(
        hub=hub,
        name=name,
        opens_at=opens_at,
        closes_at=closes_at,
        status=OrderCycle.Status.PUBLISHED,
        fee_percent=WEEKS.fee_percent,
        fee_fixed=WEEKS.fee_fixed,
        message=WEEKS.message,
    )
    # Three queries, in the order of the catalogue: producers, their products, variants.
    on_sale = Product.objects.filter(is_active=True).prefetch_related(
        Prefetch("variants", queryset=Variant.objects.filter(is_active=True))
    )
    variants = [
        variant
        for producer in hub.producers.prefetch_related(Prefetch("products", queryset=on_sale))
        for product in producer.products.all()
        for variant in product.variants.all()
    ]
    orders = WEEKS.orders
    Offer.objects.bulk_create(
        Offer.at_catalogue_price(
            cycle=cycle,
            variant=variant,
            # A few offers are capped for the week, to show "only N left".
            stock_cap=orders.cap if capped and variant.pk % orders.capped_every == 0 else None,
        )
        for variant in variants
    )
    for point in hub.pickup_points.all():
        cycle_pickup = CyclePickupPoint.objects.create(
            cycle=cycle, pickup_point=point, pickup_date=pickup_date
        )
        PickupSlot.objects.bulk_create(
            PickupSlot(cycle_pickup=cycle_pickup, starts_at=start, ends_at=end, capacity=capacity)
            for start, end, capacity in _slots()
        )
    return cycle


def process_as_the_worker_did(cycle: OrderCycle, now: datetime) -> None:
    """Close a past cycle through the worker's own closing steps (orders final, documents
    queued), dated a minute after its closing time as the worker's tick would have done
    it, then count what it owes as sent: the closing e-mails, and the pickup reminders if
    their time has come."""
    scheduler.close_cycle(cycle.pk, now=now)
    OrderCycle.objects.filter(pk=cycle.pk).update(closed_at=cycle.closes_at + timedelta(minutes=1))
    # The reminders are owed the day before the pickup from REMINDER_TIME on.
    local = timezone.localtime(now, clock.paris())
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
    orders = WEEKS.orders
    least, most = orders.quantity
    for n, user in enumerate(households[:: orders.households_every], start=1):
        items = {
            offer.pk: rng.randint(least, most) for offer in rng.sample(offers, k=orders.offers)
        }
        try:
            order = services.place_order(
                cycle=cycle,
                items=items,
                email=user.email,
                full_name=user.full_name,
                slot=rng.choice(slots),
                user=user,
                notify=False,  # demo households have no mailbox
                price_tier=tier_of(cycle.hub, n),
                now=at,
            )
        except services.OrderError:
            continue  # sold out or slot full: a real week has those too
        if cycle.closes_at < now and rng.random() < float(orders.paid_share):
            services.record_payment(order=order, method="transfer", amount=order.total, by=None)
