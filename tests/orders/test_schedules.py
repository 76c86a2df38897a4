"""Weekly schedules and closed periods: the cycles the tick creates (orders.planning.schedules) and
the manager's pages.

The ``schedule`` fixture: "Panier de la semaine", opens Friday 18:00, closes Tuesday 23:59,
pickup Thursday 17:00–19:30 (40 households) at ``pickup_point``, with ``producer``'s
products, published directly, one week ahead. Most tests stand on Wednesday 11 March 2026:
the week of Monday 9 March is due (opens Friday 13, pickup Thursday 19).
"""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone, translation

from orders import outbox
from orders.models import (
    HubClosure,
    OrderCycle,
    OutgoingEmail,
    PickupSlot,
    SchedulePickup,
    ScheduleSlot,
    Weekday,
    WeeklySchedule,
)
from orders.planning import schedules
from orders.planning.cycles import SlotSpec
from orders.planning.schedules import ScheduleError, SchedulePickupSpec, create_due_cycles
from tests import factories
from tests.factories import PARIS, paris
from tests.orders.test_concurrency import in_parallel, postgres_only

pytestmark = pytest.mark.django_db

D = Decimal
UTC = ZoneInfo("UTC")


def local(moment: datetime) -> datetime:
    return moment.astimezone(PARIS)


WEDNESDAY = paris(2026, 3, 11, 10, 0)


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English: addresses are reversed under /en/."""
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(producer, other_producer, hub, category):
    """``producer``: leeks and eggs on sale, beans off sale, a product withdrawn; the hub's
    second producer ``other_producer`` sells beer (not in the schedule)."""
    hub.producers.add(other_producer)
    return {
        "leeks": factories.VariantFactory(
            product__producer=producer, product__name="Poireaux", price=D("3.10")
        ),
        "eggs": factories.VariantFactory(
            product__producer=producer, product__name="Œufs", price=D("2.20")
        ),
        "off": factories.VariantFactory(
            product__producer=producer, product__name="Fèves", is_active=False
        ),
        "withdrawn": factories.VariantFactory(
            product__producer=producer, product__name="Navets", product__is_active=False
        ),
        "beer": factories.VariantFactory(product__producer=other_producer, product__name="Bière"),
    }


def make_schedule(hub, *, producers=(), points=(), **fields) -> WeeklySchedule:
    values = {
        "name": "Panier de la semaine",
        "opens_weekday": Weekday.FRIDAY,
        "opens_time": time(18, 0),
        "closes_weekday": Weekday.TUESDAY,
        "closes_time": time(23, 59),
        "mode": WeeklySchedule.Mode.PUBLISH,
        "weeks_ahead": 1,
    }
    schedule = WeeklySchedule.objects.create(hub=hub, **(values | fields))
    schedule.producers.set(producers)
    for point in points:
        pickup = SchedulePickup.objects.create(
            schedule=schedule, pickup_point=point, weekday=Weekday.THURSDAY
        )
        ScheduleSlot.objects.create(
            pickup=pickup, starts_at=time(17, 0), ends_at=time(19, 30), capacity=40
        )
    return schedule


@pytest.fixture
def schedule(hub, producer, pickup_point, catalogue):
    return make_schedule(hub, producers=[producer], points=[pickup_point])


def weeks_of(cycles) -> list[date]:
    return sorted(cycle.schedule_week for cycle in cycles)


# The dates of a week


def test_a_week_opens_closes_and_picks_up_on_its_weekdays(schedule):
    plan = schedules.plan_week(schedule, date(2026, 3, 9), pickups=list(schedule.pickups.all()))
    assert plan.opens_at == paris(2026, 3, 13, 18, 0)  # Friday
    assert plan.closes_at == paris(2026, 3, 17, 23, 59)  # the next Tuesday
    assert plan.pickup_dates == [date(2026, 3, 19)]  # the Thursday after closing
    assert plan.name == "Panier de la semaine — 19/03"
    assert plan.creates_on == paris(2026, 3, 6, 18, 0)  # one week ahead


def test_closing_on_the_opening_day_is_the_same_day_only_if_later(hub):
    later = make_schedule(hub, opens_weekday=Weekday.MONDAY, opens_time=time(8, 0),
                          closes_weekday=Weekday.MONDAY, closes_time=time(20, 0))  # fmt: skip
    earlier = make_schedule(hub, opens_weekday=Weekday.MONDAY, opens_time=time(8, 0),
                            closes_weekday=Weekday.MONDAY, closes_time=time(7, 0))  # fmt: skip
    monday = date(2026, 3, 9)
    assert schedules.plan_week(later, monday).closes_at == paris(2026, 3, 9, 20, 0)
    assert schedules.plan_week(earlier, monday).closes_at == paris(2026, 3, 16, 7, 0)


def test_a_pickup_on_the_closing_day_is_that_day(hub, pickup_point):
    schedule = make_schedule(hub, points=[pickup_point])
    schedule.pickups.update(weekday=Weekday.TUESDAY)
    plan = schedules.plan_week(schedule, date(2026, 3, 9), pickups=list(schedule.pickups.all()))
    assert plan.pickup_dates == [date(2026, 3, 17)]


@time_machine.travel(paris(2026, 3, 18, 10, 0), tick=False)
def test_creation_across_the_end_of_march_daylight_saving_change_keeps_paris_times(schedule):
    """Clocks go forward on Sunday 29 March 2026: the cycle opening Friday 27 (UTC+1) closes
    Tuesday 31 (UTC+2); both keep their wall-clock times, and so does the next week's."""
    schedule.weeks_ahead = 2
    schedule.save()
    created = create_due_cycles()
    assert weeks_of(created) == [date(2026, 3, 16), date(2026, 3, 23)]
    cycle = OrderCycle.objects.get(schedule_week=date(2026, 3, 23))
    assert cycle.opens_at == datetime(2026, 3, 27, 17, 0, tzinfo=UTC)  # 18:00 CET
    assert cycle.closes_at == datetime(2026, 3, 31, 21, 59, tzinfo=UTC)  # 23:59 CEST
    assert (local(cycle.opens_at).hour, local(cycle.closes_at).time()) == (18, time(23, 59))
    assert cycle.pickups.get().pickup_date == date(2026, 4, 2)
    after = schedules.plan_week(schedule, date(2026, 3, 30))
    assert after.opens_at == datetime(2026, 4, 3, 16, 0, tzinfo=UTC)  # 18:00 CEST
    assert local(after.opens_at).hour == 18


@time_machine.travel(paris(2026, 10, 21, 10, 0), tick=False)
def test_creation_across_the_end_of_october_daylight_saving_change_keeps_paris_times(schedule):
    """Clocks go back on Sunday 25 October 2026."""
    [cycle] = create_due_cycles()
    assert cycle.schedule_week == date(2026, 10, 19)
    assert cycle.opens_at == datetime(2026, 10, 23, 16, 0, tzinfo=UTC)  # 18:00 CEST
    assert cycle.closes_at == datetime(2026, 10, 27, 22, 59, tzinfo=UTC)  # 23:59 CET
    assert local(cycle.opens_at).time() == time(18, 0)
    assert local(cycle.closes_at).time() == time(23, 59)
    assert cycle.pickups.get().pickup_date == date(2026, 10, 29)


# What the tick creates


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_published_cycle_is_created_with_offers_pickups_fees_and_message(
    schedule, catalogue, pickup_point
):
    schedule.fee_percent, schedule.fee_fixed, schedule.message = D("5.00"), D("0.50"), "Bonjour"
    schedule.save()
    [cycle] = create_due_cycles()
    cycle.refresh_from_db()
    assert cycle.name == "Panier de la semaine — 19/03"
    assert (cycle.schedule, cycle.schedule_week) == (schedule, date(2026, 3, 9))
    assert cycle.status == OrderCycle.Status.PUBLISHED
    assert (cycle.opens_at, cycle.closes_at) == (paris(2026, 3, 13, 18), paris(2026, 3, 17, 23, 59))
    assert (cycle.fee_percent, cycle.fee_fixed, cycle.message) == (D("5.00"), D("0.50"), "Bonjour")
    # Only the schedule's producer, only what is on sale, at the catalogue price.
    offers = {offer.variant: offer.price for offer in cycle.offers.all()}
    assert offers == {catalogue["leeks"]: D("3.10"), catalogue["eggs"]: D("2.20")}
    pickup = cycle.pickups.get()
    assert (pickup.pickup_point, pickup.pickup_date) == (pickup_point, date(2026, 3, 19))
    slot = pickup.slots.get()
    assert (slot.starts_at, slot.ends_at, slot.capacity) == (time(17), time(19, 30), 40)


@time_machine.travel(WEDNESDAY, tick=False)
def test_draft_mode_leaves_the_cycle_for_a_manager_to_publish(schedule):
    schedule.mode = WeeklySchedule.Mode.DRAFT
    schedule.save()
    [cycle] = create_due_cycles()
    assert cycle.status == OrderCycle.Status.DRAFT
    assert cycle.offers.count() == 2 and PickupSlot.objects.filter(cycle_pickup__cycle=cycle)
    assert not OutgoingEmail.objects.exists()  # a draft was wanted: nothing to report


@time_machine.travel(WEDNESDAY, tick=False)
def test_running_twice_creates_each_week_once_and_costs_two_queries(
    schedule, django_assert_max_num_queries
):
    schedule.weeks_ahead = 3
    schedule.save()
    first = create_due_cycles()
    assert weeks_of(first) == [date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23)]
    with django_assert_max_num_queries(2):
        assert create_due_cycles() == []
    assert OrderCycle.objects.count() == 3


def test_nothing_to_do_is_one_query(db, hub, django_assert_max_num_queries):
    make_schedule(hub, is_active=False)
    with django_assert_max_num_queries(1):
        assert create_due_cycles() == []


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_week_another_worker_created_meanwhile_is_left_to_it(schedule, monkeypatch):
    """Two workers both see the week missing; the second's insert hits the unique
    (schedule, week) constraint inside its savepoint and leaves nothing behind."""
    [cycle] = create_due_cycles()
    monkeypatch.setattr(schedules, "_existing_weeks", lambda *args: set())
    assert create_due_cycles() == []
    assert list(OrderCycle.objects.all()) == [cycle]
    with pytest.raises(IntegrityError):  # the constraint is what protects us
        schedules._create_week(schedules.plan_week(schedule, date(2026, 3, 9)), now=timezone.now())


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_workers_running_at_once_create_each_week_once(hub, producer, pickup_point, catalogue):
    """Real concurrency (PostgreSQL): the second insert of a week waits for the first on the
    unique index, then fails, and that worker moves on."""
    make_schedule(hub, producers=[producer], points=[pickup_point], weeks_ahead=3)
    results = in_parallel(4, lambda _i: create_due_cycles(now=WEDNESDAY))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(len(created) for created in results) == 3
    assert OrderCycle.objects.count() == 3
    assert all(c.offers.count() == 2 for c in OrderCycle.objects.all())


@time_machine.travel(WEDNESDAY, tick=False)
def test_weeks_ahead_and_the_first_week(schedule):
    schedule.weeks_ahead, schedule.starts_on = 4, date(2026, 3, 20)
    schedule.save()
    # Week 9/3 opens on 13/3, before the first day; weeks 16/3 to 30/3 open within 4 weeks.
    created = create_due_cycles()
    assert weeks_of(created) == [date(2026, 3, 16), date(2026, 3, 23), date(2026, 3, 30)]
    with time_machine.travel(paris(2026, 3, 13, 18, 1), tick=False):
        assert weeks_of(create_due_cycles()) == [date(2026, 4, 6)]


@time_machine.travel(paris(2026, 3, 16, 10, 0), tick=False)
def test_a_week_already_open_is_not_created(schedule):
    """Monday 16: last Friday's cycle would be open until Tuesday, but a new schedule does
    not create it behind the manager's back (it may have been made by hand); only the week
    that opens next Friday."""
    assert weeks_of(create_due_cycles()) == [date(2026, 3, 16)]


@time_machine.travel(WEDNESDAY, tick=False)
def test_an_inactive_schedule_creates_nothing(schedule):
    schedule.is_active = False
    schedule.save()
    assert create_due_cycles() == []
    assert not OrderCycle.objects.exists()


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_week_whose_pickup_falls_in_a_closure_is_skipped_until_reopened(schedule, hub):
    schedule.weeks_ahead = 2
    schedule.save()
    closure = HubClosure.objects.create(
        hub=hub, starts_on=date(2026, 3, 19), ends_on=date(2026, 3, 19), reason="Vacances"
    )
    assert weeks_of(create_due_cycles()) == [date(2026, 3, 16)]  # pickup 26/03
    assert create_due_cycles() == []
    closure.delete()
    assert weeks_of(create_due_cycles()) == [date(2026, 3, 9)]


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_point_that_no_longer_serves_the_hub_is_left_out(schedule, pickup_point, hub):
    other = factories.PickupPointFactory(name="Café de Moulins")
    other.hubs.add(hub)
    pickup = SchedulePickup.objects.create(schedule=schedule, pickup_point=other, weekday=4)
    ScheduleSlot.objects.create(pickup=pickup, starts_at=time(10), ends_at=time(12))
    pickup_point.hubs.remove(hub)
    [cycle] = create_due_cycles()
    assert [p.pickup_point for p in cycle.pickups.all()] == [other]
    assert cycle.pickups.get().pickup_date == date(2026, 3, 20)  # Friday
    assert cycle.status == OrderCycle.Status.PUBLISHED


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_refused_publication_keeps_the_draft_and_tells_the_managers(
    client, hub, manager, pickup_point, mailoutbox
):
    """No producer: no product, so the cycle cannot be published. It stays a draft, each
    manager is e-mailed once, and the schedules page says why."""
    make_schedule(hub, points=[pickup_point])
    [cycle] = create_due_cycles()
    assert cycle.status == OrderCycle.Status.DRAFT
    assert create_due_cycles() == []
    assert OutgoingEmail.objects.filter(kind=schedules.NOT_PUBLISHED_EMAIL).count() == 1
    with translation.override("en"):
        OutgoingEmail.objects.update(language="en")
        assert outbox.send_due() == 1
    [email] = mailoutbox
    assert email.to == [manager.email]
    assert cycle.name in email.subject
    assert "no product on offer" in email.body
    assert cycle.get_absolute_url() in email.body

    client.force_login(manager)
    html = client.get(reverse("cycles:schedule_list", args=[hub.slug])).content.decode()
    assert "Not published:" in html and "no product on offer" in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_week_overlapping_a_published_cycle_stays_a_draft_and_the_managers_are_told(
    client, hub, manager, schedule, mailoutbox
):
    """The schedule never makes two published cycles of the hub overlap: the week is
    created as a draft (drafts may overlap), and the managers are e-mailed why."""
    by_hand = factories.OrderCycleFactory(
        hub=hub, name="Vente de printemps", opens_at=paris(2026, 3, 12, 9),
        closes_at=paris(2026, 3, 14, 12),
    )  # fmt: skip
    [cycle] = create_due_cycles()
    assert cycle.status == OrderCycle.Status.DRAFT
    assert cycle.offers.exists() and PickupSlot.objects.filter(cycle_pickup__cycle=cycle).exists()
    assert OrderCycle.objects.filter(status=OrderCycle.Status.PUBLISHED).get() == by_hand
    OutgoingEmail.objects.update(language="en")
    assert outbox.send_due() == 1
    [email] = mailoutbox
    assert email.to == [manager.email]
    assert "its dates overlap the published cycle “Vente de printemps”" in email.body

    client.force_login(manager)
    html = client.get(reverse("cycles:schedule_list", args=[hub.slug])).content.decode()
    assert "overlap the published cycle “Vente de printemps”" in html


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_e_mail_is_not_sent_once_the_manager_published_it(
    hub, manager, pickup_point, producer, catalogue, mailoutbox
):
    schedule = make_schedule(hub, points=[pickup_point])
    [cycle] = create_due_cycles()
    schedule.producers.add(producer)
    from orders.planning import cycles

    cycles.add_producer_offers(cycle=cycle, producer=producer)
    cycles.publish_cycle(cycle=cycle, by=manager)
    assert outbox.send_due() == 0
    assert mailoutbox == []


# Managing schedules (use cases)


def _terms(**values):
    return {
        "name": "Panier",
        "is_active": True,
        "opens_weekday": Weekday.FRIDAY,
        "opens_time": time(18),
        "closes_weekday": Weekday.TUESDAY,
        "closes_time": time(23, 59),
        "mode": WeeklySchedule.Mode.DRAFT,
        "weeks_ahead": 2,
        "starts_on": None,
        "message": "",
        "fee_percent": D("0"),
        "fee_fixed": D("0"),
        "fee_vat_rate": "20.0",
    } | values


@pytest.mark.parametrize(
    "values, message",
    [
        ({"name": " "}, "Give the weekly schedule a name"),
        ({"closes_weekday": Weekday.FRIDAY, "closes_time": time(18)}, "very time it opens"),
        ({"weeks_ahead": 9}, "1 to 8 weeks ahead"),
        ({"weeks_ahead": 0}, "1 to 8 weeks ahead"),
        ({"fee_percent": D("120")}, "between 0 and 100"),
        ({"mode": "sometimes"}, "drafts or published"),
    ],
)
def test_a_schedule_with_bad_terms_is_refused(hub, manager, values, message):
    with pytest.raises(ScheduleError, match=message):
        schedules.create_schedule(hub=hub, by=manager, **_terms(**values))
    assert not WeeklySchedule.objects.exists()


def test_producers_must_be_the_hubs(hub, manager, producer, other_producer):
    with pytest.raises(ScheduleError, match="among those of this hub"):
        schedules.create_schedule(hub=hub, by=manager, producers=[other_producer], **_terms())
    schedule = schedules.create_schedule(hub=hub, by=manager, producers=[producer], **_terms())
    assert list(schedule.producers.all()) == [producer]


def test_pickups_are_points_of_the_hub_after_closing_with_sane_slots(hub, manager, pickup_point):
    schedule = schedules.create_schedule(hub=hub, by=manager, **_terms())
    foreign = factories.PickupPointFactory()
    slot = SlotSpec(starts_at=time(17), ends_at=time(19), capacity=30)

    def spec(point=pickup_point, weekday=Weekday.THURSDAY, slots=(slot,)):
        return SchedulePickupSpec(pickup_point_id=point.pk, weekday=weekday, slots=slots)

    refused = [
        ([spec(point=foreign)], "points of this hub"),
        ([spec(), spec()], "points of this hub"),
        ([spec(slots=[SlotSpec(time(17), time(19), 0)])], "between 1 and 10,000"),
        ([spec(slots=[SlotSpec(time(17), time(19), 10_001)])], "between 1 and 10,000"),
        ([spec(slots=[SlotSpec(time(19), time(17), 5)])], "must end after it starts"),
        # Closing is Tuesday 23:59: a Tuesday pickup at 17:00 would come before it.
        ([spec(weekday=Weekday.TUESDAY)], "before the cycle closes"),
    ]
    for pickups, message in refused:
        with pytest.raises(ScheduleError, match=message):
            schedules.set_schedule_pickups(schedule=schedule, pickups=pickups)
        assert not schedule.pickups.exists()
    schedules.set_schedule_pickups(schedule=schedule, pickups=[spec()])
    assert [(p.pickup_point, p.weekday) for p in schedule.pickups.all()] == [
        (pickup_point, Weekday.THURSDAY)
    ]
    # Moving the closing to Thursday 20:00 would put the 17:00 pickup before it.
    with pytest.raises(ScheduleError, match="before the cycle closes"):
        schedules.update_schedule(
            schedule=schedule,
            by=manager,
            **_terms(closes_weekday=Weekday.THURSDAY, closes_time=time(20)),
        )
    schedule.refresh_from_db()
    assert schedule.closes_weekday == Weekday.TUESDAY


@time_machine.travel(WEDNESDAY, tick=False)
def test_closures_are_checked_and_report_cycles_already_created(hub, schedule):
    with pytest.raises(ScheduleError, match="end on or after"):
        schedules.add_closure(hub=hub, starts_on=date(2026, 8, 10), ends_on=date(2026, 8, 1))
    with pytest.raises(ScheduleError, match="already over"):
        schedules.add_closure(hub=hub, starts_on=date(2026, 3, 1), ends_on=date(2026, 3, 10))
    assert not HubClosure.objects.exists()
    [cycle] = create_due_cycles()
    closure, affected = schedules.add_closure(
        hub=hub, starts_on=date(2026, 3, 19), ends_on=date(2026, 3, 27), reason="Vacances"
    )
    assert affected == [cycle]  # told, not cancelled
    cycle.refresh_from_db()
    assert cycle.status == OrderCycle.Status.PUBLISHED


# The manager's pages


def _url(name, hub, *args):
    return reverse(f"cycles:{name}", args=[hub.slug, *args])


@pytest.fixture
def closure(hub):
    return HubClosure.objects.create(
        hub=hub, starts_on=date(2030, 8, 1), ends_on=date(2030, 8, 20), reason="Été"
    )


PAGES = ["schedule_list", "schedule_create", "schedule_edit", "schedule_pickups",
         "closure_create", "closure_delete"]  # fmt: skip


@pytest.mark.parametrize(
    "persona", ["anonymous", "household", "producer_member", "other_hub_manager", "manager"]
)
@pytest.mark.parametrize("page", PAGES)
def test_schedule_pages_are_for_the_hubs_managers_only(
    client, request, hub, schedule, closure, persona, page
):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    args = {"schedule_edit": [schedule.pk], "schedule_pickups": [schedule.pk],
            "closure_delete": [closure.pk]}.get(page, [])  # fmt: skip
    url = _url(page, hub, *args)
    response = client.post(url, {}) if page == "closure_delete" else client.get(url)
    if persona == "manager":
        assert response.status_code == (302 if page == "closure_delete" else 200)
        return
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code == 404
    assert HubClosure.objects.filter(pk=closure.pk).exists()


def test_another_hubs_schedule_and_closure_are_hidden_under_my_slug(
    client, schedule, closure, other_hub_manager
):
    client.force_login(other_hub_manager)
    mine = other_hub_manager.hub_memberships.get().hub
    assert client.get(_url("schedule_edit", mine, schedule.pk)).status_code == 404
    assert client.post(_url("schedule_pickups", mine, schedule.pk), {}).status_code == 404
    assert client.post(_url("closure_delete", mine, closure.pk)).status_code == 404
    assert HubClosure.objects.filter(pk=closure.pk).exists()


def _confirmed(response) -> dict:
    """The confirmation a page showing a schedule's preview carries back."""
    return {"confirmed": response.context["preview"].key}


def _form(**values):
    data = {"name": "Panier du vendredi", "is_active": "on", "opens_weekday": "4",
            "opens_time": "18:00", "closes_weekday": "1", "closes_time": "23:59",
            "mode": "publish", "weeks_ahead": "2", "starts_on": "", "fee_percent": "2.5",
            "fee_fixed": "0", "fee_vat_rate": "20.0", "message": "Bonjour"}  # fmt: skip
    return data | values


def test_manager_creates_a_schedule_then_its_pickups(client, hub, manager, producer,
                                                     pickup_point):  # fmt: skip
    translation.activate("fr")  # French addresses, so French decimals: "2,5"
    client.force_login(manager)
    data = _form(fee_percent="2,5", producers=[producer.pk])
    shown = client.post(_url("schedule_create", hub), data)
    assert shown.status_code == 200 and not WeeklySchedule.objects.exists()
    response = client.post(_url("schedule_create", hub), data | _confirmed(shown))
    schedule = WeeklySchedule.objects.get(hub=hub)
    assert response.status_code == 302
    assert response.url == _url("schedule_pickups", hub, schedule.pk)
    assert (schedule.opens_weekday, schedule.opens_time) == (Weekday.FRIDAY, time(18))
    assert (schedule.mode, schedule.weeks_ahead, schedule.fee_percent) == ("publish", 2, D("2.50"))
    assert list(schedule.producers.all()) == [producer]
    assert schedule.created_by == manager

    prefix = f"p{pickup_point.pk}"
    response = client.post(
        _url("schedule_pickups", hub, schedule.pk),
        {f"{prefix}-served": "on", f"{prefix}-weekday": "3",
         f"{prefix}-n0-starts_at": "17:00", f"{prefix}-n0-ends_at": "19:30",
         f"{prefix}-n0-capacity": "25"},
    )  # fmt: skip
    assert response.status_code == 302
    pickup = schedule.pickups.get()
    assert (pickup.pickup_point, pickup.weekday) == (pickup_point, Weekday.THURSDAY)
    slot = pickup.slots.get()
    assert (slot.starts_at, slot.ends_at, slot.capacity) == (time(17), time(19, 30), 25)

    # The page shows it back; editing keeps the slot (its row is prefilled).
    html = client.get(_url("schedule_pickups", hub, schedule.pk)).content.decode()
    assert 'value="17:00"' in html and 'value="25"' in html


def test_bad_schedule_forms_say_why_and_change_nothing(client, hub, manager, other_producer):
    client.force_login(manager)
    response = client.post(
        _url("schedule_create", hub), _form(closes_weekday="4", closes_time="18:00")
    )
    assert response.status_code == 400
    assert "The cycle cannot close at the very time it opens." in response.content.decode()
    response = client.post(_url("schedule_create", hub), _form(producers=[other_producer.pk]))
    assert response.status_code == 400
    assert "producers" in response.context["form"].errors
    response = client.post(_url("schedule_create", hub), _form(weeks_ahead="12"))
    assert response.status_code == 400 and "weeks_ahead" in response.context["form"].errors
    assert not WeeklySchedule.objects.exists()


def test_a_bad_slot_is_refused_on_the_pickups_page(client, hub, manager, schedule,
                                                   pickup_point):  # fmt: skip
    client.force_login(manager)
    prefix = f"p{pickup_point.pk}"
    url = _url("schedule_pickups", hub, schedule.pk)
    response = client.post(url, {f"{prefix}-served": "on", f"{prefix}-weekday": "3",
                                 f"{prefix}-n0-starts_at": "17:00",
                                 f"{prefix}-n0-ends_at": "19:00",
                                 f"{prefix}-n0-capacity": "0"})  # fmt: skip
    assert response.status_code == 400
    response = client.post(url, {f"{prefix}-served": "on", f"{prefix}-weekday": "1",
                                 f"{prefix}-n0-starts_at": "17:00",
                                 f"{prefix}-n0-ends_at": "19:00",
                                 f"{prefix}-n0-capacity": "10"})  # fmt: skip
    assert response.status_code == 400
    assert "before the cycle closes" in response.content.decode()
    response = client.post(url, {f"{prefix}-served": "on"})
    assert response.status_code == 400
    assert "Choose the pickup day." in response.content.decode()
    slot = schedule.pickups.get().slots.get()
    assert (slot.capacity, schedule.pickups.get().weekday) == (40, Weekday.THURSDAY)


def test_manager_edits_a_schedule(client, hub, manager, schedule, producer):
    client.force_login(manager)
    page = _url("schedule_edit", hub, schedule.pk)
    html = client.get(page).content.decode()
    assert 'value="Panier de la semaine"' in html and 'value="18:00"' in html
    data = _form(name="Panier", is_active="", producers=[producer.pk])
    shown = client.post(page, data)  # paused: it says so, and the manager confirms
    assert "The schedule is paused: it creates no cycle." in shown.content.decode()
    response = client.post(page, data | _confirmed(shown))
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.is_active) == ("Panier", False)


# When a schedule's first cycle opens: said before it is saved


def _schedule_terms(**values):
    return {
        "name": "Panier du vendredi", "is_active": True, "opens_weekday": Weekday.FRIDAY,
        "opens_time": time(18), "closes_weekday": Weekday.TUESDAY, "closes_time": time(23, 59),
        "mode": WeeklySchedule.Mode.PUBLISH, "weeks_ahead": 2, "starts_on": None,
        "message": "", "fee_percent": D("0"), "fee_fixed": D("0"), "fee_vat_rate": "20.0",
    } | values  # fmt: skip


@pytest.mark.parametrize(
    ("now", "values", "opens", "created"),
    [
        # This week's Friday is still to come: it is the first, created at once.
        (WEDNESDAY, {}, paris(2026, 3, 13, 18), WEDNESDAY),
        # Saturday: this week's opening is past, the next Friday is the first.
        (paris(2026, 3, 14, 9), {}, paris(2026, 3, 20, 18), paris(2026, 3, 14, 9)),
        # A first week in April, one week ahead: created a week before it opens.
        (
            WEDNESDAY,
            {"starts_on": date(2026, 4, 1), "weeks_ahead": 1},
            paris(2026, 4, 3, 18),
            paris(2026, 3, 27, 18),
        ),
        # Over the clocks going forward (29 March): still 18:00 in Paris.
        (
            paris(2026, 3, 26, 9),
            {"weeks_ahead": 1, "starts_on": date(2026, 3, 30)},
            paris(2026, 4, 3, 18),
            paris(2026, 3, 27, 18),
        ),
    ],
)
def test_the_preview_is_the_cycle_the_tick_creates(
    hub, manager, producer, pickup_point, catalogue, now, values, opens, created
):
    """Computed by the tick's own rules, from the terms before they are saved."""
    terms = _schedule_terms(**values)
    with time_machine.travel(now, tick=False):
        preview = schedules.preview_schedule(hub=hub, **terms)
        schedule = schedules.create_schedule(hub=hub, by=manager, producers=[producer], **terms)
        schedules.set_schedule_pickups(
            schedule=schedule,
            pickups=[SchedulePickupSpec(pickup_point.pk, Weekday.THURSDAY,
                                        [SlotSpec(time(17), time(19), 30)])],
        )  # fmt: skip
    first = preview.first
    assert (first.opens_at, first.creates_on <= now) == (opens, created == now)
    assert max(first.creates_on, now) == created
    with time_machine.travel(created, tick=False):
        made = sorted(create_due_cycles(), key=lambda cycle: cycle.opens_at)
    assert (made[0].opens_at, made[0].closes_at) == (first.opens_at, first.closes_at)
    assert made[0].status == OrderCycle.Status.PUBLISHED


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_preview_of_a_saved_schedule_skips_closures_and_weeks_already_created(hub, schedule):
    def preview():
        terms = {name: getattr(schedule, name) for name in _schedule_terms()}
        return schedules.preview_schedule(hub=hub, schedule=schedule, **terms).first

    first = preview()
    assert (first.opens_at, first.pickup_dates) == (paris(2026, 3, 13, 18), [date(2026, 3, 19)])
    HubClosure.objects.create(hub=hub, starts_on=date(2026, 3, 19), ends_on=date(2026, 3, 19))
    first = preview()
    assert (first.opens_at, first.pickup_dates) == (paris(2026, 3, 20, 18), [date(2026, 3, 26)])
    assert create_due_cycles() == [] and not first.due  # one week ahead: on 13 March
    with time_machine.travel(first.creates_on, tick=False):
        [made] = create_due_cycles()
        assert (made.opens_at, made.closes_at) == (first.opens_at, first.closes_at)
        assert preview().opens_at == paris(2026, 3, 27, 18)  # the next one still to create


@time_machine.travel(WEDNESDAY, tick=False)
def test_a_schedule_is_created_only_once_its_first_cycle_is_confirmed(
    client, hub, manager, producer
):
    from tests.bad_input import ALL

    client.force_login(manager)
    data = _form(producers=[producer.pk])
    shown = client.post(_url("schedule_create", hub), data)
    assert shown.status_code == 200 and not WeeklySchedule.objects.exists()
    text = " ".join(shown.content.decode().split())
    assert (
        "<strong>The first cycle opens on Friday 13 March 2026, 18:00</strong> and closes on "
        "Tuesday 17 March 2026, 23:59." in text
    )
    assert "Then one every week" in text and "It is created within a minute" in text
    assert 'name="confirmed"' in text

    # Changed since the preview: shown again, with the new dates, not created.
    changed = client.post(
        _url("schedule_create", hub), data | _confirmed(shown) | {"opens_time": "17:00"}
    )
    assert changed.status_code == 200 and not WeeklySchedule.objects.exists()
    assert "Friday 13 March 2026, 17:00" in changed.content.decode()
    assert any("has changed" in str(m) for m in changed.context["messages"])
    for value in ALL:
        response = client.post(_url("schedule_create", hub), data | {"confirmed": value})
        # A NUL is refused before any view (foodhub.middleware); the rest re-show the preview.
        assert response.status_code == (400 if "\x00" in value else 200), value
    assert not WeeklySchedule.objects.exists()

    response = client.post(_url("schedule_create", hub), data | _confirmed(shown))
    assert response.status_code == 302
    assert WeeklySchedule.objects.get().opens_time == time(18)


@time_machine.travel(WEDNESDAY, tick=False)
def test_editing_when_cycles_open_is_confirmed_other_changes_are_not(
    client, hub, manager, schedule, producer
):
    client.force_login(manager)
    page = _url("schedule_edit", hub, schedule.pk)
    html = " ".join(client.get(page).content.decode().split())
    assert "<strong>The next new cycle opens on Friday 13 March 2026, 18:00</strong>" in html
    assert "Pickup on Thursday 19 March 2026." in html

    data = _form(producers=[producer.pk], weeks_ahead="1", mode="publish",
                 closes_time="23:59")  # fmt: skip
    response = client.post(page, data | {"name": "Panier du vendredi soir"})
    assert response.status_code == 302  # same dates, same creation: saved at once
    schedule.refresh_from_db()
    assert schedule.name == "Panier du vendredi soir"

    moved = data | {"opens_weekday": "3", "opens_time": "12:00"}
    shown = client.post(page, moved)
    assert shown.status_code == 200
    assert "Thursday 12 March 2026, 12:00" in shown.content.decode()
    schedule.refresh_from_db()
    assert schedule.opens_weekday == Weekday.FRIDAY
    assert client.post(page, moved | _confirmed(shown)).status_code == 302
    schedule.refresh_from_db()
    assert (schedule.opens_weekday, schedule.opens_time) == (Weekday.THURSDAY, time(12))


@time_machine.travel(WEDNESDAY, tick=False)
def test_manager_closes_the_hub_and_reopens_it(client, hub, manager, schedule):
    client.force_login(manager)
    response = client.post(
        _url("closure_create", hub), {"starts_on": "2026-03-19", "ends_on": "2026-03-10"}
    )
    assert response.status_code == 400
    assert "must end on or after its first day" in response.content.decode()
    assert not HubClosure.objects.exists()

    response = client.post(
        _url("closure_create", hub),
        {"starts_on": "2026-03-19", "ends_on": "2026-03-19", "reason": "Vacances de mars"},
    )
    assert response.status_code == 302
    closure = HubClosure.objects.get()
    assert (closure.hub, closure.reason) == (hub, "Vacances de mars")
    assert create_due_cycles() == []

    html = client.get(_url("schedule_list", hub)).content.decode()
    assert "Vacances de mars — not created" in " ".join(html.split())

    response = client.post(_url("closure_delete", hub, closure.pk))
    assert response.status_code == 302
    assert not HubClosure.objects.exists()
    assert len(create_due_cycles()) == 1


@time_machine.travel(WEDNESDAY, tick=False)
def test_the_schedules_page_previews_the_coming_weeks_in_bounded_queries(
    client, hub, manager, schedule, pickup_point, producer, django_assert_max_num_queries
):
    client.force_login(manager)
    url = _url("schedule_list", hub)
    for count in (1, 4):
        while WeeklySchedule.objects.filter(hub=hub).count() < count:
            make_schedule(hub, name=f"Panier {count}", producers=[producer],
                          points=[pickup_point])  # fmt: skip
        create_due_cycles()
        with django_assert_max_num_queries(14):
            response = client.get(url)
        assert response.status_code == 200
    html = response.content.decode()
    assert "Panier de la semaine — 19/03" in html  # created this week
    assert "created on" in html  # the weeks to come, not created yet
    assert html.count("<h3>Coming weeks</h3>") == 4


def test_the_cycle_list_links_to_the_schedules(client, hub, manager):
    client.force_login(manager)
    html = client.get(reverse("cycles:list", args=[hub.slug])).content.decode()
    assert _url("schedule_list", hub) in html
