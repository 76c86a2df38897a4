"""Browser tests of a household's own pages, on a phone (360 px) and on a desktop: the basket
shows readable names; the household finds its orders from any page, changes one, and
deletes an account that has no password."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def _fill_basket(page: Page, live_server, hub, offers) -> None:
    page.goto(f"{live_server.url}/{hub.slug}/")
    for offer in offers.values():
        row = page.locator(f"#offer-{offer.pk}")
        row.locator("input[name=quantity]").fill("2")
        row.locator("button[type=submit]").click()
        expect(page.locator(f"#offer-{offer.pk} .saved")).to_be_visible()


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
