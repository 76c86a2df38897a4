"""Browser test: a household on a phone repeats its order every week, skips next week;
the tick opens that cycle (skipped) and the next one, whose basket order then shows in
the household's orders."""

import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import Page, expect

from orders.checkout import services
from orders.models import Order, OrderCycle, WeeklyBasket, WeeklyBasketRun
from orders.weekly_baskets import weekly
from orders.worker import scheduler
from tests import factories
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def _tick_opens(cycle):
    """The worker's tick, a minute after the cycle's opening time."""
    with time_machine.travel(cycle.opens_at + timedelta(minutes=1), tick=False):
        scheduler.run_tick()


def test_household_repeats_an_order_skips_a_week_and_gets_the_next(
    page: Page, live_server, hub, household, pickup_point, offers, slot
):
    cycle = offers["carrots"].cycle
    OrderCycle.objects.filter(pk=cycle.pk).update(opened_at=cycle.opens_at)
    order = services.place_order(
        cycle=cycle,
        items={offers["carrots"].pk: 2, offers["bread"].pk: 1},
        email=household.email,
        full_name=household.full_name,
        slot=slot,
        user=household,
    )
    variants = [offer.variant for offer in offers.values()]
    skipped = factories.coming_cycle(hub, pickup_point, variants, days=7, name="Semaine 49")
    wanted = factories.coming_cycle(hub, pickup_point, variants, days=14, name="Semaine 50")

    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, household)

    page.goto(f"{live_server.url}/orders/")
    expect(page.locator("main a[href='/orders/weekly/']")).to_be_visible()
    page.locator(f"main a[href='/orders/{order.number}/']").click()
    page.locator(f"form[action='/orders/weekly/from/{order.number}/'] button").click()
    page.wait_for_url(re.compile(r"/orders/weekly/\d+/$"))
    basket = WeeklyBasket.objects.get()
    assert basket.user == household
    assert dict(basket.lines.values_list("variant", "quantity")) == {
        offers["carrots"].variant_id: 2,
        offers["bread"].variant_id: 1,
    }
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Skip next week: the week of the next cycle, not opened yet.
    skip_form = page.locator(f"form[action='/orders/weekly/{basket.pk}/skip/']")
    expect(skip_form.locator("input[name=action]")).to_have_value("skip")
    skip_form.locator("button").click()
    page.wait_for_url(re.compile(rf"/orders/weekly/{basket.pk}/$"))
    expect(skip_form.locator("input[name=action]")).to_have_value("unskip")
    assert list(basket.skips.values_list("week", flat=True)) == [weekly.week_of(skipped)]

    _tick_opens(skipped)
    _tick_opens(wanted)

    runs = dict(WeeklyBasketRun.objects.values_list("cycle__name", "status"))
    assert runs == {"Semaine 49": "skipped", "Semaine 50": "placed"}
    basket_order = Order.objects.get(weekly_basket=basket)
    assert basket_order.cycle == wanted

    page.goto(f"{live_server.url}/orders/")
    orders = page.locator("main table")
    expect(orders).to_contain_text(basket_order.number)
    expect(orders).to_contain_text("Semaine 50")
    expect(orders).not_to_contain_text("Semaine 49")

    # The basket's page keeps the history of the weeks.
    page.goto(f"{live_server.url}/orders/weekly/{basket.pk}/")
    expect(page.locator("main")).to_contain_text(basket_order.number)
