"""The producer's page "this week" on a phone (360 px): axe finds nothing serious or
critical, before the close and after it; and the managers' page of where and when the
producers deliver."""

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from orders.checkout.services import place_order
from tests.e2e.browser import log_in
from tests.e2e.test_accessibility import assert_accessible
from tests.producers.test_this_week import close

pytestmark = pytest.mark.django_db(transaction=True)


def test_this_week_is_accessible_on_a_phone(
    page: Page, live_server, producer, producer_member, cycle, slot, offers
):
    page.set_viewport_size({"width": 360, "height": 740})
    place_order(
        cycle=cycle, slot=slot, items={offers["carrots"].pk: 2, offers["bread"].pk: 1},
        email="a@example.org", full_name="A", notify=False,
    )  # fmt: skip
    log_in(page, live_server, producer_member)
    url = live_server.url + reverse("producer_this_week", args=[producer.slug])
    page.goto(url)
    expect(page.locator("main")).to_contain_text("Provisoire")
    assert_accessible(page)
    page.screenshot(path="/tmp/week_this_week.png", full_page=True)
    close(cycle)
    page.goto(url)
    expect(page.locator("main")).to_contain_text("Définitif")
    assert_accessible(page)


def test_the_delivery_page_is_accessible_on_a_phone(page: Page, live_server, manager, cycle):
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, manager)
    page.goto(live_server.url + reverse("cycles:delivery", args=[cycle.hub.slug, cycle.pk]))
    assert_accessible(page)
    page.get_by_label("Lieu de livraison des producteurs").fill("Hangar B")
    page.get_by_label("Date et heure de livraison des producteurs").fill("2020-01-01T08:00")
    page.get_by_role("button", name="Enregistrer").press("Enter")
    expect(page.locator("main [role=alert]").first).to_be_visible()
    assert_accessible(page)
    page.screenshot(path="/tmp/week_delivery.png", full_page=True)
