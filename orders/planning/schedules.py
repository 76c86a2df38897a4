"""A hub's weekly schedules and closed periods, and the cycles the tick creates from them.

A ``WeeklySchedule`` says "open Friday 18:00, close Tuesday 23:59, pickup Thursday 17:00–19:30
at these points, with these producers". Every minute the worker's tick calls
``create_due_cycles``, which creates each week's cycle ``weeks_ahead`` weeks before it opens,
through ``orders.cycles`` (so the rules of a cycle stay in one place), as a draft for a
manager to review or published at once, as the schedule says. A week whose pickup falls in a
``HubClosure`` (holidays) is not created at all.

Dates are wall-clock dates and times in Europe/Paris: "Friday 18:00" stays 18:00 across a
daylight-saving change. A week is named by its Monday (``OrderCycle.schedule_week``); the
unique (schedule, week) constraint makes creating it idempotent, even for two workers at once.

The manager's use cases (``create_schedule``, ``update_schedule``, ``set_schedule_pickups``,
``add_closure``, ``remove_closure``) raise a ``ScheduleError`` saying what is wrong, and then
write nothing. Changing a schedule does not change the cycles it already created.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import clock, outbox
from orders.checkout import selectors
from orders.models import (
    HubClosure,
    OrderCycle,
    PickupSlot,
    SchedulePickup,
    ScheduleSlot,
    Weekday,
    WeeklySchedule,
)

from . import cycles
from .cycles import CycleError, PickupSpec, SlotSpec

__all__ = [
    "PlannedCycle",
    "ScheduleError",
    "SchedulePickupSpec",
    "SchedulePreview",
    "add_closure",
    "create_due_cycles",
    "created_cycles",
    "create_schedule",
    "first_week",
    "plan_week",
    "preview_schedule",
    "publish_problems",
    "remove_closure",
    "set_schedule_pickups",
    "upcoming_weeks",
    "update_schedule",
]

logger = logging.getLogger(__name__)

MAX_WEEKS_AHEAD = 8
NOT_PUBLISHED_EMAIL = "schedule_not_published"


class ScheduleError(CycleError):
    """A manager's change to a weekly schedule or closed period that cannot be made."""


# Dates of a week


def _next_weekday(day: date, weekday: int) -> date:
    """The first ``weekday`` on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@dataclass
class PlannedCycle:
    """One week of a schedule: its dates, and what the tick does (or did) with it."""

    schedule: WeeklySchedule
    week: date
    opens_at: datetime
    closes_at: datetime
    pickups: list[tuple[SchedulePickup, date]] = field(default_factory=list)
    closure: HubClosure | None = None
    cycle: OrderCycle | None = None
    due: bool = False  # its creation time has come (set by ``upcoming_weeks``)

    @property
    def pickup_dates(self) -> list[date]:
        return sorted({day for _pickup, day in self.pickups})

    @property
    def creates_on(self) -> datetime:
        """When the tick creates it: ``weeks_ahead`` weeks before it opens."""
        return clock.shift_weeks(self.opens_at, -self.schedule.weeks_ahead)

    @property
    def name(self) -> str:
        day = self.pickup_dates[0] if self.pickups else clock.today(self.opens_at)
        return f"{self.schedule.name} — {day:%d/%m}"[:150]


def plan_week(
    schedule: WeeklySchedule,
    week: date,
    *,
    pickups: Sequence[SchedulePickup] = (),
    closures: Iterable[HubClosure] = (),
) -> PlannedCycle:
    """The dates of ``schedule``'s cycle of the week starting Monday ``week``.

    1. It opens on ``opens_weekday`` of that week at ``opens_time``.
    2. It closes on the first ``closes_weekday`` at ``closes_time`` strictly after the
       opening (the next week's when the same day would be earlier).
    3. Each pickup is on the first of its weekday on or after the closing day.
    4. It is skipped when a pickup falls in one of the hub's ``closures`` (dates included).
    """
    opening_day = week + timedelta(days=schedule.opens_weekday)
    days = (schedule.closes_weekday - schedule.opens_weekday) % 7
    if days == 0 and schedule.closes_time <= schedule.opens_time:
        days = 7
    closing_day = opening_day + timedelta(days=days)
    planned = PlannedCycle(
        schedule=schedule,
        week=week,
        opens_at=clock.at(opening_day, schedule.opens_time),
        closes_at=clock.at(closing_day, schedule.closes_time),
        pickups=[(pickup, _next_weekday(closing_day, pickup.weekday)) for pickup in pickups],
    )
    for closure in closures:
        if any(closure.starts_on <= day <= closure.ends_on for day in planned.pickup_dates):
            planned.closure = closure
            break
    return planned


def _may_create(schedule: WeeklySchedule, plan: PlannedCycle, now: datetime) -> bool:
    """Whether the tick may create this week at all: it opens in the future, not before the
    schedule's first day.

    A week whose opening is already past is not created: a schedule saved on a Monday
    must not publish, behind the manager's back, a cycle "opened last Friday" that the
    manager may well have made by hand.
    """
    if plan.opens_at <= now:
        return False
    return not (schedule.starts_on and clock.today(plan.opens_at) < schedule.starts_on)


def _weeks_in_reach(schedule: WeeklySchedule, now: datetime, weeks: int) -> list[PlannedCycle]:
    """The weeks whose cycle opens within ``weeks`` weeks of ``now`` and may be created
    (``_may_create``); their pickups and closures not yet known."""
    this_week = clock.monday_of(clock.today(now))
    horizon = now + timedelta(weeks=weeks)
    planned = []
    for offset in range(weeks + 1):
        plan = plan_week(schedule, this_week + timedelta(weeks=offset))
        if plan.opens_at <= horizon and _may_create(schedule, plan, now):
            planned.append(plan)
    return planned


# How far the preview looks for a first week (a first day far ahead, long closures).
PREVIEW_REACH_WEEKS = 110


def first_week(
    schedule: WeeklySchedule,
    *,
    now: datetime,
    pickups: Sequence[SchedulePickup] = (),
    closures: Iterable[HubClosure] = (),
    created: Iterable[date] = (),
) -> PlannedCycle | None:
    """The first week the tick will create for ``schedule`` (saved or not), by the tick's
    own rules: the first week from now that ``_may_create`` allows, whose pickup falls in
    no closure and that is not ``created`` already. ``due`` says whether the tick creates it
    at its next run (else on ``creates_on``). None if there is none within two years."""
    created = set(created)
    closures = list(closures)
    week = clock.monday_of(clock.today(now))
    if schedule.starts_on:
        week = max(week, clock.monday_of(schedule.starts_on) - timedelta(weeks=1))
    for _offset in range(PREVIEW_REACH_WEEKS):
        plan = plan_week(schedule, week, pickups=pickups, closures=closures)
        week += timedelta(weeks=1)
        if plan.week in created or plan.closure is not None:
            continue
        if _may_create(schedule, plan, now):
            plan.due = plan.creates_on <= now
            return plan
    return None


def _existing_weeks(schedule_ids: Iterable[int], weeks: Iterable[date]) -> set[tuple[int, date]]:
    return set(
        OrderCycle.objects.filter(
            schedule__in=set(schedule_ids), schedule_week__in=set(weeks)
        ).values_list("schedule_id", "schedule_week")
    )


# The tick's step


def create_due_cycles(now: datetime | None = None) -> list[OrderCycle]:
    """Create the cycles of every active schedule that are due; returns those created.

    1. For each active schedule, the weeks whose cycle opens within ``weeks_ahead`` weeks,
       closes in the future and opens on or after ``starts_on``; those already created are
       dropped (two queries in all: what runs every minute with nothing to do).
    2. The pickups of the schedules left and their hubs' closures are read; a week whose
       pickup falls in a closure is skipped (and checked again at the next tick, so that
       removing the closure brings it back).
    3. Each week is created in its own savepoint (``_create_week``); a week another worker
       created meanwhile hits the unique (schedule, week) constraint and is left to it.
    """
    now = now or timezone.now()
    schedules = list(
        WeeklySchedule.objects.filter(is_active=True).select_related("hub").order_by("pk")
    )
    due = [plan for s in schedules for plan in _weeks_in_reach(s, now, s.weeks_ahead)]
    if not due:
        return []
    existing = _existing_weeks((p.schedule.pk for p in due), (p.week for p in due))
    due = [plan for plan in due if (plan.schedule.pk, plan.week) not in existing]
    if not due:
        return []

    wanted = {plan.schedule.pk for plan in due}
    pickups: dict[int, list[SchedulePickup]] = {}
    for pickup in (
        SchedulePickup.objects.filter(schedule__in=wanted)
        .select_related("pickup_point")
        .prefetch_related("slots")
    ):
        pickups.setdefault(pickup.schedule_id, []).append(pickup)
    hubs = {plan.schedule.hub_id for plan in due}
    closures: dict[int, list[HubClosure]] = {}
    first_week = min(plan.week for plan in due)
    for closure in HubClosure.objects.filter(hub__in=hubs, ends_on__gte=first_week):
        closures.setdefault(closure.hub_id, []).append(closure)

    created = []
    for plan in due:
        schedule = plan.schedule
        plan = plan_week(
            schedule,
            plan.week,
            pickups=pickups.get(schedule.pk, []),
            closures=closures.get(schedule.hub_id, []),
        )
        if plan.closure is not None:
            continue
        try:
            cycle = _create_week(plan, now=now)
        except IntegrityError:
            continue  # another worker created this week first
        except CycleError:
            # A schedule the cycle rules refuse (it was valid when saved): logged every
            # tick until a manager changes it; the schedule page shows the week as due.
            logger.exception("Could not create week %s of schedule %s", plan.week, schedule.pk)
            continue
        created.append(cycle)
    return created


def _create_week(plan: PlannedCycle, *, now: datetime) -> OrderCycle:
    """Create one week's cycle, in one savepoint: all of it, or nothing.

    1. The draft cycle (``cycles.create_cycle``), claimed at once for its (schedule, week):
       a second worker fails here, before doing any work.
    2. Every variant on sale of the schedule's producers, at the catalogue price.
    3. The pickup points still serving the hub, each on its date with its slots.
    4. Published, if the schedule says so. Publishing refused (no product, no slot) keeps
       the draft and owes each manager of the hub an e-mail; the schedule page shows why.
    """
    schedule = plan.schedule
    hub = schedule.hub
    with transaction.atomic():
        cycle = cycles.create_cycle(
            hub=hub,
            name=plan.name,
            opens_at=plan.opens_at,
            closes_at=plan.closes_at,
            by=None,
            message=schedule.message,
            fee_percent=schedule.fee_percent,
            fee_fixed=schedule.fee_fixed,
            fee_vat_rate=schedule.fee_vat_rate,
            now=now,
        )
        OrderCycle.objects.filter(pk=cycle.pk).update(schedule=schedule, schedule_week=plan.week)
        cycle.schedule, cycle.schedule_week = schedule, plan.week

        variants = selectors.variants_for_hub(hub).filter(
            product__producer__in=schedule.producers.all()
        )
        cycles.add_offers(cycle=cycle, variants=list(variants.values_list("pk", flat=True)))

        served = set(hub.pickup_points.values_list("pk", flat=True))
        cycles.set_pickups(
            cycle=cycle,
            pickups=[
                PickupSpec(
                    pickup_point_id=pickup.pickup_point_id,
                    pickup_date=day,
                    slots=[
                        SlotSpec(starts_at=s.starts_at, ends_at=s.ends_at, capacity=s.capacity)
                        for s in pickup.slots.all()
                    ],
                )
                for pickup, day in plan.pickups
                if pickup.pickup_point_id in served
            ],
            now=now,
        )

        if schedule.mode == WeeklySchedule.Mode.PUBLISH:
            try:
                with transaction.atomic():
                    cycle = cycles.publish_cycle(cycle=cycle, by=None, now=now)
            except CycleError as error:
                logger.warning("Cycle %s of schedule %s not published: %s", cycle.pk,
                               schedule.pk, error)  # fmt: skip
                _tell_managers_not_published(cycle, now=now)
    return cycle


def publish_problems(
    cycle: OrderCycle,
    *,
    offers: int | None = None,
    slots: int | None = None,
    overlapping: str | None = None,
):
    """Why a draft cannot be published as it is (empty if nothing stops it), in the reader's
    language. ``offers``, ``slots`` and ``overlapping`` (the name of a published cycle its
    dates meet, "" for none) are what the caller already has; None: looked up."""
    if offers is None:
        offers = cycle.offers.count()
    if slots is None:
        slots = PickupSlot.objects.filter(cycle_pickup__cycle=cycle).count()
    if overlapping is None:
        other = cycles.overlapping_cycles(
            cycle.hub_id, opens_at=cycle.opens_at, closes_at=cycle.closes_at, exclude=cycle.pk
        ).first()
        overlapping = other.name if other else ""
    problems = []
    if not offers:
        problems.append(_("no product on offer (do its producers have products on sale?)"))
    if not slots:
        problems.append(_("no pickup slot (do its pickup points still serve the hub?)"))
    if overlapping:
        problems.append(
            _("its dates overlap the published cycle “%(name)s” (a hub runs one at a time)")
            % {"name": overlapping}
        )
    return problems


def _tell_managers_not_published(cycle: OrderCycle, *, now: datetime) -> None:
    managers = cycle.hub.managers.filter(is_active=True).order_by("pk")
    outbox.owe(
        [
            outbox.Owed(
                key=f"schedule:not-published:{cycle.pk}:{user.pk}",
                kind=NOT_PUBLISHED_EMAIL,
                to=user.email,
                params={"cycle": cycle.pk},
                language=user.email_language,
            )
            for user in managers
        ],
        now=now,
    )


@outbox.builder(NOT_PUBLISHED_EMAIL)
def _not_published_email(params: dict) -> EmailMessage:
    cycle = OrderCycle.objects.select_related("hub").filter(pk=params["cycle"]).first()
    if cycle is None or cycle.status != OrderCycle.Status.DRAFT:
        raise outbox.Skip  # published or cancelled by hand since
    context = {
        "cycle": cycle,
        "hub": cycle.hub,
        "problems": publish_problems(cycle),
        "url": settings.SITE_URL + cycle.get_absolute_url(),
        "schedules_url": settings.SITE_URL + reverse("cycles:schedule_list", args=[cycle.hub.slug]),
    }
    subject = _("Order cycle not published: %(name)s") % {"name": cycle.name}
    body = render_to_string("orders/email/schedule_not_published.txt", context)
    return EmailMessage(subject=subject, body=body)


# What the schedule page shows


def upcoming_weeks(
    hub, schedules: Sequence[WeeklySchedule], *, weeks: int = 4, now: datetime | None = None
) -> dict[int, list[PlannedCycle]]:
    """For each schedule (``pickups`` and their ``slots`` prefetched), its weeks still to
    close within ``weeks`` weeks (at least as far as it creates ahead), with the cycle
    created for each (``offer_count``/``slot_count`` annotated), or the closure that skips
    it. Two queries for all the schedules."""
    now = now or timezone.now()
    reach = {s.pk: _weeks_in_reach(s, now, max(weeks, s.weeks_ahead)) for s in schedules}
    # The created cycles are looked up by week whatever the schedule's current first day
    # or horizon: a cycle created before a change still shows.
    this_week = clock.monday_of(clock.today(now))
    created = {
        (cycle.schedule_id, cycle.schedule_week): cycle
        for cycle in _with_counts(
            OrderCycle.objects.filter(
                schedule__in=[s.pk for s in schedules],
                schedule_week__gte=this_week - timedelta(weeks=1),
            )
        )
    }
    closures = list(hub.closures.filter(ends_on__gte=this_week - timedelta(weeks=1)))
    result = {}
    for schedule in schedules:
        plans = []
        weeks_seen = set()
        for plan in reach[schedule.pk]:
            plan = plan_week(
                schedule, plan.week, pickups=list(schedule.pickups.all()), closures=closures
            )
            plan.cycle = created.get((schedule.pk, plan.week))
            plan.due = plan.creates_on <= now
            plans.append(plan)
            weeks_seen.add(plan.week)
        for (schedule_id, week), cycle in created.items():
            if schedule_id == schedule.pk and week not in weeks_seen and cycle.closes_at > now:
                plan = plan_week(schedule, week)
                plan.opens_at, plan.closes_at, plan.cycle = cycle.opens_at, cycle.closes_at, cycle
                plans.append(plan)
        result[schedule.pk] = sorted(plans, key=lambda p: p.week)
    return result


def _with_counts(queryset):
    """With ``offer_count``, ``slot_count`` and ``overlapping`` (the name of a published cycle
    of the hub its dates meet, or None): what ``publish_problems`` needs."""
    overlapping = OrderCycle.objects.filter(
        hub=OuterRef("hub"),
        status=OrderCycle.Status.PUBLISHED,
        opens_at__lt=OuterRef("closes_at"),
        closes_at__gt=OuterRef("opens_at"),
    ).exclude(pk=OuterRef("pk"))
    return queryset.annotate(
        offer_count=Count("offers", distinct=True),
        slot_count=Count("pickups__slots", distinct=True),
        overlapping=Subquery(overlapping.order_by("opens_at", "pk").values("name")[:1]),
    ).order_by("schedule_week", "pk")


def created_cycles(schedules: Sequence[WeeklySchedule], *, limit: int = 10):
    """The latest cycles the schedules created (any status), with offer and slot counts."""
    return list(
        _with_counts(OrderCycle.objects.filter(schedule__in=[s.pk for s in schedules]))
        .select_related("schedule")
        .order_by("-schedule_week", "-pk")[:limit]
    )


# Managing schedules


@dataclass(frozen=True)
class SchedulePickupSpec:
    pickup_point_id: int
    weekday: int
    slots: Sequence[SlotSpec] = field(default_factory=tuple)


def _is_weekday(value) -> bool:
    return not isinstance(value, bool) and value in Weekday.values


def _clean_schedule(
    *,
    hub,
    name: str,
    is_active: bool,
    opens_weekday: int,
    opens_time: time,
    closes_weekday: int,
    closes_time: time,
    mode: str,
    weeks_ahead: int,
    starts_on: date | None,
    message: str,
    fee_percent,
    fee_fixed,
    fee_vat_rate: str,
    producers,
) -> tuple[dict, list]:
    name = (name or "").strip()
    if not name:
        raise ScheduleError(_("Give the weekly schedule a name: it names its cycles."))
    if len(name) > 120:
        raise ScheduleError(_("The name is too long (at most 120 characters)."))
    if not (_is_weekday(opens_weekday) and _is_weekday(closes_weekday)):
        raise ScheduleError(_("Choose the days it opens and closes."))
    if not (isinstance(opens_time, time) and isinstance(closes_time, time)):
        raise ScheduleError(_("Give the times it opens and closes."))
    if opens_weekday == closes_weekday and opens_time == closes_time:
        raise ScheduleError(
            _("The cycle cannot close at the very time it opens: change the day or the time.")
        )
    if mode not in WeeklySchedule.Mode.values:
        raise ScheduleError(_("Choose whether the new cycles are drafts or published."))
    if isinstance(weeks_ahead, bool) or not isinstance(weeks_ahead, int):
        raise ScheduleError(_("Create the cycles 1 to 8 weeks ahead."))
    if not 1 <= weeks_ahead <= MAX_WEEKS_AHEAD:
        raise ScheduleError(_("Create the cycles 1 to 8 weeks ahead."))
    if starts_on is not None and not isinstance(starts_on, date):
        raise ScheduleError(_("Give the first week as a date."))
    fee = cycles.clean_fee(fee_percent, fee_fixed, fee_vat_rate, error=ScheduleError)
    ids = {getattr(producer, "pk", producer) for producer in producers}
    found = list(hub.producers.filter(pk__in=ids))
    if len(found) != len(ids):
        raise ScheduleError(_("Choose producers among those of this hub."))
    terms = {
        "name": name,
        "is_active": bool(is_active),
        "opens_weekday": opens_weekday,
        "opens_time": opens_time.replace(second=0, microsecond=0),
        "closes_weekday": closes_weekday,
        "closes_time": closes_time.replace(second=0, microsecond=0),
        "mode": mode,
        "weeks_ahead": weeks_ahead,
        "starts_on": starts_on,
        "message": (message or "").strip(),
        **fee,
    }
    return terms, found


def create_schedule(*, hub, by, producers=(), **terms) -> WeeklySchedule:
    """A new weekly schedule of ``hub``; its pickup points are set next
    (``set_schedule_pickups``). Takes the fields of ``_clean_schedule``."""
    terms, found = _clean_schedule(hub=hub, producers=producers, **terms)
    with transaction.atomic():
        schedule = WeeklySchedule.objects.create(hub=hub, created_by=by, **terms)
        schedule.producers.set(found)
    return schedule


def update_schedule(*, schedule: WeeklySchedule, by, producers=(), **terms) -> WeeklySchedule:
    """Change a schedule. The cycles it already created stay as they are; its pickups must
    still come after the (new) closing."""
    with transaction.atomic():
        schedule = (
            WeeklySchedule.objects.select_for_update(of=("self",))
            .select_related("hub")
            .get(pk=schedule.pk)
        )
        terms, found = _clean_schedule(hub=schedule.hub, producers=producers, **terms)
        for key, value in terms.items():
            setattr(schedule, key, value)
        pickups = [
            (pickup.pickup_point, pickup.weekday, list(pickup.slots.all()))
            for pickup in schedule.pickups.select_related("pickup_point").prefetch_related("slots")
        ]
        for point, weekday, slots in pickups:
            _check_after_closing(schedule, point, weekday, slots)
        schedule.save()
        schedule.producers.set(found)
    return schedule


@dataclass
class SchedulePreview:
    """What a schedule's terms will do, shown to the manager before saving them: the first
    cycle it creates (``first_week``: the tick's own rules), then one every week."""

    schedule: WeeklySchedule  # with the terms previewed (not saved)
    first: PlannedCycle | None
    overlapping: OrderCycle | None = None  # a published cycle the first one would meet

    @property
    def key(self) -> str:
        """What the manager confirms: when the first cycle opens and closes, when and how it
        is created. Terms that change none of it need no new confirmation."""
        if not self.schedule.is_active:
            return "paused"
        if self.first is None:
            return "none"
        first = self.first
        return "/".join(
            [first.opens_at.isoformat(), first.closes_at.isoformat(),
             first.creates_on.isoformat(), self.schedule.mode]
        )  # fmt: skip


def preview_schedule(
    *, hub, schedule: WeeklySchedule | None = None, now: datetime | None = None, **terms
) -> SchedulePreview:
    """The first cycle that ``terms`` (the fields of ``create_schedule``) would create, for a
    new schedule of ``hub`` or in place of ``schedule``'s (whose pickups and created weeks
    count). Raises ``ScheduleError`` for terms that ``create_schedule`` would refuse."""
    now = now or timezone.now()
    terms.pop("producers", None)
    cleaned, _found = _clean_schedule(hub=hub, producers=(), **terms)
    planned = WeeklySchedule(hub=hub, pk=getattr(schedule, "pk", None), **cleaned)
    pickups, created = [], []
    if schedule is not None:
        pickups = list(schedule.pickups.select_related("pickup_point").prefetch_related("slots"))
        created = list(schedule.cycles.values_list("schedule_week", flat=True))
    this_week = clock.monday_of(clock.today(now))
    first = first_week(
        planned,
        now=now,
        pickups=pickups,
        closures=hub.closures.filter(ends_on__gte=this_week),
        created=created,
    )
    overlapping = None
    if first is not None:
        overlapping = cycles.overlapping_cycles(
            hub, opens_at=first.opens_at, closes_at=first.closes_at
        ).first()
    return SchedulePreview(schedule=planned, first=first, overlapping=overlapping)


def _check_after_closing(schedule: WeeklySchedule, point, weekday: int, slots) -> None:
    """A pickup on the closing day starts once the cycle has closed."""
    if weekday != schedule.closes_weekday:
        return
    for slot in slots:
        if slot.starts_at < schedule.closes_time:
            raise ScheduleError(
                _(
                    "At %(point)s the pickup on %(day)s starts at %(start)s, before the cycle "
                    "closes (%(close)s): choose another day or a later slot."
                )
                % {
                    "point": point,
                    "day": Weekday(weekday).label,
                    "start": slot.starts_at.strftime("%H:%M"),
                    "close": schedule.closes_time.strftime("%H:%M"),
                }
            )


def set_schedule_pickups(
    *, schedule: WeeklySchedule, pickups: Sequence[SchedulePickupSpec], by=None
) -> None:
    """Make the schedule serve exactly these pickup points, each on its weekday with its
    slots (nothing hangs off a schedule's slots, so they are simply replaced).

    Every point must serve the hub, once; every slot ends after it starts, for 1 to 10,000
    households (``orders.cycles``' rule); a pickup on the closing day starts after closing.
    """
    with transaction.atomic():
        schedule = (
            WeeklySchedule.objects.select_for_update(of=("self",))
            .select_related("hub")
            .get(pk=schedule.pk)
        )
        points = {point.pk: point for point in schedule.hub.pickup_points.all()}
        for spec, point in cycles.each_point_once(pickups, points, error=ScheduleError):
            if not _is_weekday(spec.weekday):
                raise ScheduleError(_("Choose the pickup day at %(point)s.") % {"point": point})
            for slot in spec.slots:
                try:  # the rule of a cycle's slots, in one place
                    cycles._check_slot_spec(slot, point)
                except CycleError as error:
                    raise ScheduleError(str(error)) from None
            _check_after_closing(schedule, point, spec.weekday, spec.slots)
        schedule.pickups.all().delete()
        for spec in pickups:
            pickup = SchedulePickup.objects.create(
                schedule=schedule, pickup_point_id=spec.pickup_point_id, weekday=spec.weekday
            )
            ScheduleSlot.objects.bulk_create(
                ScheduleSlot(pickup=pickup, starts_at=s.starts_at, ends_at=s.ends_at,
                             capacity=s.capacity)
                for s in spec.slots
            )  # fmt: skip
        WeeklySchedule.objects.filter(pk=schedule.pk).update(updated_at=timezone.now())


# Closed periods


def add_closure(
    *, hub, starts_on: date, ends_on: date, reason: str = "", by=None, now: datetime | None = None
) -> tuple[HubClosure, list[OrderCycle]]:
    """Close the hub from ``starts_on`` to ``ends_on`` (included): no cycle will be created
    whose pickup falls in it. Returns the closure and the live cycles already created whose
    pickup falls in it: those are not cancelled here (they may have orders); the manager
    decides."""
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        raise ScheduleError(_("Give the first and last day of the closed period."))
    if ends_on < starts_on:
        raise ScheduleError(_("The closed period must end on or after its first day."))
    if ends_on < clock.today(now):
        raise ScheduleError(_("This period is already over."))
    reason = (reason or "").strip()
    if len(reason) > 150:
        raise ScheduleError(_("The reason is too long (at most 150 characters)."))
    with transaction.atomic():
        closure = HubClosure.objects.create(
            hub=hub, starts_on=starts_on, ends_on=ends_on, reason=reason
        )
    affected = list(
        hub.order_cycles.exclude(status=OrderCycle.Status.CANCELLED)
        .filter(Q(pickups__pickup_date__gte=starts_on) & Q(pickups__pickup_date__lte=ends_on))
        .distinct()
        .order_by("opens_at")
    )
    return closure, affected


def remove_closure(*, closure: HubClosure, by=None) -> None:
    """Open the hub again on those days: the tick creates the weeks still to come."""
    closure.delete()
