"""Solidarity prices in a browser, on a phone: the checkout with its three prices (chosen
with the keyboard), the review at the chosen price, the household's price page and the
managers' fund page pass axe (no serious or critical violation)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from orders.checkout import services
from orders.models import Order, SolidaritySettings
from tests.e2e.browser import log_in, set_quantity
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _phone(page: Page):
    page.set_viewport_size({"width": 360, "height": 740})


def test_a_household_chooses_the_reduced_price_with_the_keyboard(
    page: Page, live_server, hub, household, offers, slot, tmp_path
):
    SolidaritySettings.objects.create(hub=hub, enabled=True)
    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/{hub.slug}/")
    set_quantity(page, offers["bread"], 2)
    page.goto(f"{live_server.url}/{hub.slug}/checkout/")
    assert_accessible(page)
    page.screenshot(path="/tmp/soli_checkout.png", full_page=True)
    reduced = page.locator("input[name=price_tier][value=lower]")
    page.locator("input[name=price_tier][value=middle]").focus()
    page.keyboard.press("ArrowUp")  # radios of a group move with the arrows
    expect(reduced).to_be_checked()
    page.locator(f"input[name=slot][value='{slot.pk}']").check()
    page.get_by_role("button", name=re.compile("Vérifier")).press("Enter")
    expect(page.locator("main")).to_contain_text("6,72")  # 4,80 × 70 % × 2
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Valider")).click()
    page.wait_for_url(re.compile(r"/orders/"))
    order = Order.objects.get()
    assert (order.price_tier, order.total) == ("lower", Decimal("6.72"))
    assert_accessible(page)

    page.goto(f"{live_server.url}/orders/price/{hub.slug}/")
    assert_accessible(page)


def test_the_fund_page_is_accessible(page: Page, live_server, hub, manager, offers, slot):
    SolidaritySettings.objects.create(hub=hub, enabled=True, support_cap=Decimal("50"))
    cycle = slot.cycle_pickup.cycle
    services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email="a@example.org",
        full_name="A", notify=False, price_tier="upper",
    )  # fmt: skip
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/solidarity/")
    expect(page.locator("main")).to_contain_text("1,44")
    assert_accessible(page)
    page.locator("#id_lower_percent").fill("100")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("main [role=alert]").first).to_contain_text("99")
    assert_accessible(page)
