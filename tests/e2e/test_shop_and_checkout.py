"""Browser test: a household on a phone browses the shop, fills its basket without page
reloads (htmx), checks out paying at pickup, changes its order, then cancels it."""

import re

import pytest
from playwright.sync_api import Page, expect

from orders.models import Order
from tests.e2e.browser import place_basket, set_quantity

pytestmark = pytest.mark.django_db(transaction=True)


def _no_horizontal_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_household_orders_changes_then_cancels_on_a_phone(
    page: Page, live_server, hub, offers, slot, mailoutbox
):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/{hub.slug}/")
    expect(page.locator("h1")).to_have_text(hub.name)
    assert _no_horizontal_scroll(page)
    shop_url = page.url

    set_quantity(page, offers["carrots"], 2)
    set_quantity(page, offers["bread"], 1)
    assert page.url == shop_url  # no navigation: htmx did it
    expect(page.locator("#basket-summary")).to_contain_text("9,60\xa0€")  # 2 × 2,40 + 4,80

    page.locator("#basket-summary a").click()
    page.wait_for_url(re.compile(rf"/{hub.slug}/basket/$"))
    page.locator(f"main a[href$='/{hub.slug}/checkout/']").click()
    page.fill("#id_email", "alix@example.org")
    page.fill("#id_full_name", "Alix Martin")
    page.locator("input[name=slot]").first.check()
    page.locator("input[name=payment_method][value=at_pickup]").check()
    page.locator("main form button[type=submit]").click()
    # The review page shows the total, then the order is placed.
    expect(page.locator("main")).to_contain_text("9,60\xa0€")
    assert _no_horizontal_scroll(page)
    page.locator("#place-order-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/o/"))
    order = Order.objects.get()
    expect(page.locator("h1")).to_contain_text(order.number)
    assert order.total.to_eng_string() == "9.60"
    assert any(order.number in mail.subject for mail in mailoutbox)

    # Change: three carrots instead of two.
    page.locator("form[action$='/change/'] button").click()
    page.wait_for_url(re.compile(rf"/{hub.slug}/$"))
    set_quantity(page, offers["carrots"], 3)
    place_basket(page, hub)
    order.refresh_from_db()
    assert order.total.to_eng_string() == "12.00"
    assert Order.objects.count() == 1
    offers["carrots"].variant.refresh_from_db()
    assert offers["carrots"].variant.stock_quantity == 7

    # Cancel.
    page.locator("a[href$='/cancel/']").click()
    page.locator("main form button.danger").click()
    page.wait_for_url(re.compile(r"/orders/o/"))
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    offers["carrots"].variant.refresh_from_db()
    assert offers["carrots"].variant.stock_quantity == 10
