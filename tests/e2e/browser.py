"""Steps the browser tests share: logging in, setting a quantity in the shop, placing
the basket."""

import re

from playwright.sync_api import Page, expect

from tests.factories import DEFAULT_PASSWORD


def log_in(page: Page, live_server, user, *, lands_on: re.Pattern | None = None) -> None:
    """Log in with the password of the test accounts; wait until the log-in page is left
    (for the page matching ``lands_on``, when given)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", user.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lands_on or (lambda url: "/accounts/login/" not in url))


def set_quantity(page: Page, offer, quantity: int) -> None:
    """In the shop: the offer's quantity, saved by htmx (the row shows it is saved)."""
    row = page.locator(f"#offer-{offer.pk}")
    row.locator("input[name=quantity]").fill(str(quantity))
    row.locator("button[type=submit]").click()
    # htmx swaps the row in place; the summary follows out of band.
    expect(page.locator(f"#offer-{offer.pk} .saved")).to_be_visible()


def place_basket(page: Page, hub) -> None:
    """From the shop: the basket, the checkout form as it is filled, the review, placed."""
    page.locator("#basket-summary a").click()
    page.locator(f"main a[href$='/{hub.slug}/checkout/']").click()
    page.locator("main form button[type=submit]").click()
    page.locator("#place-order-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/o/"))
