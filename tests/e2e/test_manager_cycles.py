"""Browser test: a hub manager finds last week's cycle and copies it to next week."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import OrderCycle
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_manager_clones_a_cycle_to_next_week(page: Page, live_server, hub, manager, offers, slot):
    cycle = offers["carrots"].cycle
    log_in(page, live_server, manager, lands_on=re.compile(r"/spaces/"))

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


def test_manager_closes_a_cycle_now_from_a_phone_after_seeing_what_it_sets_off(
    page: Page, live_server, hub, manager, producer, offers, slot, tmp_path
):
    from orders.checkout import services
    from tests import factories
    from tests.e2e.test_accessibility import assert_accessible

    page.set_viewport_size({"width": 360, "height": 740})
    cycle = offers["carrots"].cycle
    producer.email = "ferme@example.org"
    producer.save()
    for who in ("Alix", "Basile"):
        services.place_order(
            cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, full_name=who,
            email=f"{who.lower()}@example.org", notify=False,
        )  # fmt: skip
    now = timezone.now()
    for n, orders in ((1, 3), (2, 1)):  # two closed weeks, named alike, with their orders
        week = factories.OrderCycleFactory(
            hub=hub, name=f"Panier de la semaine du vendredi — {n:02d}/03",
            opens_at=now - timedelta(weeks=n, days=3), closes_at=now + timedelta(days=1),
        )  # fmt: skip
        bread = factories.OfferFactory(cycle=week, variant=offers["bread"].variant)
        its_slot = factories.PickupSlotFactory(
            cycle_pickup=factories.CyclePickupPointFactory(
                cycle=week, pickup_point=slot.cycle_pickup.pickup_point
            )
        )
        for i in range(orders):
            services.place_order(
                cycle=week, slot=its_slot, items={bread.pk: 1 + i}, full_name=f"Foyer {i}",
                email=f"foyer{i}@example.org", notify=False,
            )  # fmt: skip
        OrderCycle.objects.filter(pk=week.pk).update(closes_at=now - timedelta(weeks=n))
    factories.OrderCycleFactory(
        hub=hub, name="Semaine 50", opens_at=now + timedelta(days=6),
        closes_at=now + timedelta(days=9),
    )  # fmt: skip

    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/")
    open_now = page.locator("section[aria-labelledby=cycles-open]")
    expect(open_now).to_contain_text(cycle.name)
    expect(open_now).to_contain_text("2 commandes")
    chart = page.locator("table.bar-chart")
    expect(chart.locator("tbody tr")).to_have_count(2)
    expect(chart).to_contain_text("Panier de la semaine du vendredi — 01/03")
    expect(chart).not_to_contain_text(cycle.name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    page.screenshot(path=tmp_path / "dashboard-360.png", full_page=True)

    open_now.locator(f"a[href='/hubs/{hub.slug}/cycles/{cycle.pk}/']").click()
    page.locator(f"a[href='/hubs/{hub.slug}/cycles/{cycle.pk}/close/']").click()
    forecast = page.locator("ul.forecast")
    expect(forecast).to_contain_text("2 commandes deviennent définitives")
    expect(forecast).to_contain_text("Aucun paiement par carte à régler")
    expect(forecast).to_contain_text("2 foyers reçoivent leur commande définitive")
    expect(forecast).to_contain_text("1 producteur reçoit ses totaux")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    page.screenshot(path=tmp_path / "close-now-360.png", full_page=True)

    page.get_by_role("button", name="Fermer le cycle maintenant").click()
    page.wait_for_url(re.compile(rf"/hubs/{hub.slug}/cycles/{cycle.pk}/$"))
    expect(page.locator(".messages")).to_contain_text("Le cycle est fermé")
    expect(page.locator("#orders-summary")).to_contain_text("2 commandes définitives")
    expect(page.locator(f"a[href='/hubs/{hub.slug}/cycles/{cycle.pk}/cancel/']")).to_have_count(0)
    cycle.refresh_from_db()
    assert cycle.phase() == OrderCycle.Phase.CLOSED
    assert cycle.changes.get().changed_by == manager
