"""Automated accessibility checks (axe-core) on the pages people use most, on a phone:
no serious or critical violation."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from orders.checkout import services
from tests import factories
from tests.e2e.browser import log_in, set_quantity

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


def assert_accessible(page: Page) -> None:
    response = AXE.run(page).response
    bad = [v for v in response["violations"] if v["impact"] in ("serious", "critical")]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:5])
        for v in bad
    )
    assert not bad, f"{page.url}\n{report}"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.fixture(autouse=True)
def _phone(page: Page):
    page.set_viewport_size({"width": 360, "height": 740})


def test_the_households_pages_are_accessible(page: Page, live_server, hub, household, offers, slot):
    page.goto(f"{live_server.url}/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/{hub.slug}/")
    expect(page.locator("h1")).to_have_text(hub.name)
    assert_accessible(page)

    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/{hub.slug}/")
    set_quantity(page, offers["carrots"], 2)
    assert_accessible(page)  # after the htmx swap

    page.locator("#basket-summary a").click()
    page.wait_for_url(re.compile(rf"/{hub.slug}/basket/$"))
    assert_accessible(page)
    page.locator(f"main a[href$='/{hub.slug}/checkout/']").click()
    page.wait_for_url(re.compile(rf"/{hub.slug}/checkout/$"))
    assert_accessible(page)

    services.place_order(
        cycle=slot.cycle_pickup.cycle, slot=slot, items={offers["bread"].pk: 1},
        email=household.email, full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    for path in ("/orders/", "/orders/weekly/", "/orders/calendar/", "/orders/my-data/"):
        page.goto(f"{live_server.url}{path}")
        assert_accessible(page)


def test_the_producers_catalogue_is_accessible(page: Page, live_server, producer_member, producer):
    factories.VariantFactory(product__producer=producer, product__name="Carottes")
    log_in(page, live_server, producer_member)
    for path in ("", "stock/"):
        page.goto(f"{live_server.url}/producers/{producer.slug}/{path}")
        assert_accessible(page)


def test_the_volunteers_page_is_accessible(page: Page, live_server, pickup_point, offers, slot):
    volunteer = factories.UserFactory(email="benevole@example.org")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    cycle = slot.cycle_pickup.cycle
    services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email="alix@example.org",
        full_name="Alix Martin", notify=False,
    )  # fmt: skip
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server.url}/points/")
    assert_accessible(page)
    page.goto(f"{live_server.url}/points/{pickup_point.slug}/cycles/{cycle.pk}/")
    assert_accessible(page)


def test_the_check_catches_a_violation(page: Page):
    """The check above is not vacuous: an unlabelled field and unreadable text fail it."""
    page.set_content(
        '<html lang="fr"><head><title>t</title></head><body><main><h1>Titre</h1>'
        '<input type="text"><p style="color:#ddd;background:#fff">gris clair</p>'
        "</main></body></html>"
    )
    with pytest.raises(AssertionError, match="label"):
        assert_accessible(page)


def test_keyboard_users_skip_to_the_content_and_see_where_they_are(
    page: Page, live_server, hub, offers, slot
):
    page.goto(f"{live_server.url}/{hub.slug}/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()  # shown when focused, hidden otherwise
    outline = skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"  # a visible focus ring
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # The next Tab lands inside the content, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('#main').contains(document.activeElement)")
