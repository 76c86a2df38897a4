"""Browser test: a hub manager finds last week's cycle and copies it to next week."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import OrderCycle
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_clones_a_cycle_to_next_week(page: Page, live_server, hub, manager, offers, slot):
    cycle = offers["carrots"].cycle
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", manager.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/spaces/"))

    page.goto(f"{live_server.url}/hubs/{hub.slug}/")
    page.locator(f"a[href='/hubs/{hub.slug}/cycles/']").click()
    page.locator(f"a[href='/hubs/{hub.slug}/cycles/{cycle.pk}/']").first.click()
    expect(page.locator("h1")).to_contain_text(cycle.name)
    page.locator(f"a[href='/hubs/{hub.slug}/cycles/{cycle.pk}/clone/']").click()
    page.fill("input[name=weeks]", "1")
    page.fill("input[name=name]", "Semaine 49")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/hubs/{hub.slug}/cycles/\d+/$"))
    expect(page.locator("h1")).to_contain_text("Semaine 49")

    clone = OrderCycle.objects.get(name="Semaine 49")
    assert clone.status == OrderCycle.Status.DRAFT

    def wall_clock(moment):
        return timezone.localtime(moment).replace(tzinfo=None)

    assert wall_clock(clone.opens_at) == wall_clock(cycle.opens_at) + timedelta(weeks=1)
    assert wall_clock(clone.closes_at) == wall_clock(cycle.closes_at) + timedelta(weeks=1)
    assert clone.offers.count() == 3
    assert clone.pickups.get().slots.count() == 1
