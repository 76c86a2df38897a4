"""Where and when the producers deliver: set by a cycle's managers, shown on the
producers' page "this week"; bad input refused with a French message, nothing written."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import clock
from orders.models import OrderCycle
from orders.planning import cycles, deliveries
from tests.bad_input import BAD_DATES, NOT_NUMBERS

pytestmark = pytest.mark.django_db


def delivery_url(cycle):
    return reverse("cycles:delivery", args=[cycle.hub.slug, cycle.pk])


def the_day_before(slot):
    day = slot.cycle_pickup.pickup_date - timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, 30, tzinfo=clock.paris())


def test_a_manager_sets_where_and_when_producers_see_it(
    client, manager, producer, producer_member, cycle, slot, offers
):
    client.force_login(manager)
    at = the_day_before(slot)
    response = client.post(
        delivery_url(cycle),
        {"place": "  Hangar B, 3 rue du Port, Lille  ", "at": at.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert (cycle.delivery_place, cycle.delivery_at) == ("Hangar B, 3 rue du Port, Lille", at)
    detail = client.get(cycle.get_absolute_url()).content.decode()
    assert delivery_url(cycle) in detail

    client.force_login(producer_member)
    page = client.get(reverse("producer_this_week", args=[producer.slug])).content.decode()
    assert "Hangar B, 3 rue du Port, Lille" in page
    assert "8:30" in page or "08:30" in page


def test_a_time_after_the_first_pickup_day_or_before_the_opening_is_refused(
    client, manager, cycle, slot
):
    client.force_login(manager)
    late = the_day_before(slot) + timedelta(days=2)
    response = client.post(
        delivery_url(cycle), {"place": "Ici", "at": late.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 400
    assert "premier jour de retrait" in response.content.decode()
    early = cycle.opens_at - timedelta(days=1)
    with pytest.raises(cycles.CycleError):
        deliveries.set_delivery(cycle=cycle, place="Ici", at=early)
    cycle.refresh_from_db()
    assert (cycle.delivery_place, cycle.delivery_at) == ("", None)


@pytest.mark.parametrize("value", NOT_NUMBERS + BAD_DATES)
def test_bad_values_change_nothing(client, manager, cycle, slot, value):
    client.force_login(manager)
    response = client.post(delivery_url(cycle), {"place": "Ici", "at": value})
    assert response.status_code == 400, value
    assert 'role="alert"' in response.content.decode()
    cycle.refresh_from_db()
    assert (cycle.delivery_place, cycle.delivery_at) == ("", None)


def test_a_place_too_long_is_refused(client, manager, cycle):
    client.force_login(manager)
    response = client.post(delivery_url(cycle), {"place": "x" * 300, "at": ""})
    assert response.status_code == 400
    cycle.refresh_from_db()
    assert cycle.delivery_place == ""


def test_a_cancelled_cycle_keeps_its_delivery(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(status=OrderCycle.Status.CANCELLED)
    with pytest.raises(cycles.CycleError):
        deliveries.set_delivery(cycle=cycle, place="Ici", at=None)


def test_a_copy_keeps_the_place_and_moves_the_time(manager, cycle, slot):
    at = the_day_before(slot)
    deliveries.set_delivery(cycle=cycle, place="Hangar B", at=at)
    copy = cycles.clone_cycle(cycle=cycle, weeks=1, by=manager)
    assert copy.delivery_place == "Hangar B"
    assert timezone.localtime(copy.delivery_at, clock.paris()) == at + timedelta(weeks=1)
