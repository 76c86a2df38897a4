"""Browser tests of a household's own pages, on a phone (360 px) and on a desktop: the basket
shows readable names; the household finds its orders from any page, changes one, and
deletes an account that has no password."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from foodhub.accounts.models import User
from orders.checkout import services
from orders.models import Order
from tests import factories
from tests.e2e.browser import place_basket, set_quantity
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _fill_basket(page: Page, live_server, hub, offers) -> None:
    page.goto(f"{live_server.url}/{hub.slug}/")
    for offer in offers.values():
        set_quantity(page, offer, 2)


def _width(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["width"]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_basket_shows_readable_names(page: Page, live_server, hub, offers, slot, viewport):
    page.set_viewport_size(viewport)
    _fill_basket(page, live_server, hub, offers)
    page.goto(f"{live_server.url}/{hub.slug}/basket/")
    assert_accessible(page)  # includes: no sideways scrolling

    # The rows to change quantities: each name has at least 40 % of the list's width.
    rows = page.locator("main .offer-list")
    for name in page.locator("main .offer-list .offer-text").all():
        assert _width(name) >= 0.4 * _width(rows), (name.inner_text(), _width(name))
        assert name.evaluate("el => el.scrollWidth <= el.clientWidth")  # nothing cut off
    # The summary table: on a phone each row is a card titled by the name, across it; on
    # a desktop the name and its producer take two lines, not one word per line.
    line = float(page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)"))
    table = page.locator("table.amounts")
    for cell in page.locator("table.amounts td.row-name").all():
        if viewport == PHONE:
            assert _width(cell) >= 0.4 * _width(table), (cell.inner_text(), _width(cell))
        assert cell.bounding_box()["height"] < 3.5 * line, cell.inner_text()
    apples = page.locator("main .offer-list .offer-text strong", has_text="Pommes Jonagold")
    assert apples.bounding_box()["height"] < 2 * line


def _log_in_by_code(page: Page, live_server, email, mailoutbox) -> None:
    page.goto(f"{live_server.url}/accounts/login/code/")
    page.fill("#id_email", email)
    page.locator("main form button[type=submit]:not([form])").click()
    page.wait_for_url(re.compile(r"/accounts/login/code/confirm/"))
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mailoutbox[-1].body, re.MULTILINE).group(1)
    page.fill("#id_code", code)
    page.locator("main form button[type=submit]:not([form])").click()
    page.wait_for_url(re.compile(r"/spaces/"))


def _header_fits(page: Page) -> None:
    """The header's links are all on screen: nothing sticks out of a 360 px phone."""
    width = page.evaluate("window.innerWidth")
    for link in page.locator("header.site-header a, header.site-header button").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, link.inner_text()


def test_a_household_without_a_password_finds_its_orders_changes_one_and_deletes_its_account(
    page: Page, live_server, hub, offers, slot, mailoutbox
):
    page.set_viewport_size(PHONE)
    user = factories.UserFactory(email="leo@example.org", full_name="Léo Code")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    order = services.place_order(
        cycle=slot.cycle_pickup.cycle, slot=slot, items={offers["carrots"].pk: 1},
        email=user.email, full_name=user.full_name, user=user, notify=False,
    )  # fmt: skip
    _log_in_by_code(page, live_server, user.email, mailoutbox)

    # "My orders" is in the header of every page.
    for path in ("/", f"/{hub.slug}/", f"/{hub.slug}/basket/", "/accounts/me/", "/spaces/"):
        page.goto(f"{live_server.url}{path}")
        my_orders = page.locator("header.site-header a", has_text="Mes commandes")
        expect(my_orders).to_be_visible()
        _header_fits(page)
    page.goto(f"{live_server.url}/accounts/me/")
    assert_accessible(page)
    page.locator("header.site-header a", has_text="Mes commandes").click()
    page.wait_for_url(re.compile(r"/orders/$"))
    assert_accessible(page)

    # Open the order, change it: two bunches of carrots instead of one.
    page.get_by_role("link", name=order.number, exact=True).click()
    expect(page.locator("h1")).to_contain_text(order.number)
    page.locator("form[action$='/change/'] button").click()
    page.wait_for_url(re.compile(rf"/{hub.slug}/$"))
    set_quantity(page, offers["carrots"], 2)
    place_basket(page, hub)
    order.refresh_from_db()
    assert order.lines.get().quantity == 2

    # Delete the account: it has no password, a code e-mailed to it proves who it is.
    page.goto(f"{live_server.url}/accounts/me/")
    page.locator("main a", has_text="Mes données").first.click()
    page.wait_for_url(re.compile(r"/orders/my-data/"))
    expect(page.locator("main input[type=password]")).to_have_count(0)
    page.locator("#send-code button").click()
    page.wait_for_url(re.compile(r"/orders/my-data/"))
    assert_accessible(page)
    code = re.search(r"^\s*(\d{6})\s*$", mailoutbox[-1].body, re.MULTILINE).group(1)
    page.fill("#id_code", code)
    page.check("#id_confirm")
    page.locator("#delete-account button.danger").click()
    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".messages")).to_contain_text("Votre compte est supprimé")
    assert not User.objects.filter(pk=user.pk).exists()
    order.refresh_from_db()
    assert order.user is None and order.status == Order.Status.CANCELLED


def test_add_in_a_shop_tab_opened_before_the_close_leads_to_the_closed_shop(
    page: Page, live_server, hub, offers, slot
):
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/{hub.slug}/")
    cycle = slot.cycle_pickup.cycle
    cycle.closes_at = timezone.now() - timedelta(minutes=1)  # the shop closes meanwhile
    cycle.save(update_fields=["closes_at"])

    row = page.locator(f"#offer-{offers['carrots'].pk}")
    row.locator("input[name=quantity]").fill("1")
    row.locator("button[type=submit]").click()

    # A whole page, saying why; not a page inside the product row.
    expect(page.locator(".messages")).to_contain_text("La boutique est fermée")
    expect(page.locator("header.site-header")).to_have_count(1)
    expect(page.locator(f"#offer-{offers['carrots'].pk}")).to_have_count(0)
    assert page.url == f"{live_server.url}/{hub.slug}/"
    assert_accessible(page)
