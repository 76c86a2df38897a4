"""Browser test: on a phone, a relay adds a household without e-mail (name, phone as
typed, consent), orders for it in the hub's shop, prints its slip; the household's page,
the shop "for" banner, checkout, the slip and "who orders for me" pass axe at 360 px."""

import re

import pytest
from playwright.sync_api import Page, expect

from foodhub.hubs.models import Relay
from orders.models import Customer, Order
from tests import factories
from tests.e2e.browser import log_in, set_quantity
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_relay_orders_for_a_household_without_email_on_a_phone(
    page: Page, live_server, hub, offers, slot, household, tmp_path
):
    relay = factories.UserFactory(email="martine@example.org", full_name="Martine Relais")
    Relay.objects.create(hub=hub, user=relay)
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, relay)

    page.goto(f"{live_server.url}/help/")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Ajouter un foyer")).click()
    assert_accessible(page)
    # Keyboard only: type, Tab to the next field, Space to choose, Enter to send.
    page.get_by_label("Nom du foyer").fill("Mme Dupont")
    page.keyboard.press("Tab")
    page.keyboard.type("06 12 34 56 78")
    page.get_by_label("en personne").focus()
    page.keyboard.press("Space")
    page.get_by_label("Nom du foyer").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mme Dupont")
    assert Customer.objects.get().phone == "+33612345678"
    assert_accessible(page)
    page.screenshot(path=tmp_path / "relay-household-360.png", full_page=True)

    page.get_by_role("button", name="Commander pour ce foyer").click()
    expect(page.locator(".ordering-for")).to_contain_text("Vous commandez pour Mme Dupont")
    set_quantity(page, offers["bread"], 2)
    assert_accessible(page)
    page.locator("#basket-summary a").click()
    page.locator(f"main a[href$='/{hub.slug}/checkout/']").click()
    expect(page.locator("main")).to_contain_text("Il paie au retrait")
    assert_accessible(page)
    page.get_by_label(re.compile("La Ruche de Fives")).check()
    page.get_by_role("button", name="Vérifier la commande").click()
    assert_accessible(page)
    page.get_by_role("button", name="Valider la commande").click()
    page.wait_for_url(re.compile(r"/help/orders/"))
    order = Order.objects.get()
    assert (order.customer.full_name, order.placed_by, order.email) == ("Mme Dupont", relay, "")
    expect(page.locator("main")).to_contain_text("Passée par Martine Relais pour Mme Dupont.")
    assert_accessible(page)

    page.get_by_role("link", name="Imprimer la fiche pour le foyer").click()
    expect(page.locator("main")).to_contain_text(order.number)
    assert_accessible(page)
    # Large print: the body of the slip is at least 12 pt (16 px) on screen and in print.
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('main.slip')).fontSize)"
    )
    assert size >= 16
    page.emulate_media(media="print")
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('main.slip')).fontSize)"
    )
    assert size >= 16  # 16pt = 21.3px
    assert page.locator("header").first.is_hidden()
    page.screenshot(path=tmp_path / "relay-slip-print.png", full_page=True)
    page.emulate_media(media="screen")

    # The household's own page to name someone.
    page.context.clear_cookies()
    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/orders/who-orders-for-me/")
    assert_accessible(page)
