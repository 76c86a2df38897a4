"""Browser test: after the close, a manager on a phone records that the baker brought 3
loaves of 6, sees who gets what, confirms, then corrects one household's line."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.checkout.services import place_order
from orders.models import BalanceEntry, OrderCycle, OrderLine
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_applies_a_shortage_and_corrects_a_line_on_a_phone(
    page: Page, live_server, manager, hub, cycle, slot, offers, tmp_path
):
    bread = offers["bread"]
    for n, (name, quantity) in enumerate(
        [("Aïcha Benali", 2), ("Denis Petit", 1), ("Émile Zola", 3)]
    ):
        place_order(
            cycle=cycle, slot=slot, items={bread.pk: quantity}, email=f"{n}@example.org",
            full_name=name, notify=False,
        )  # fmt: skip
    OrderCycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now() - timedelta(hours=1))

    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Manquants et corrections").click()
    page.get_by_role("link", name=re.compile("Pain de campagne")).click()
    expect(page.locator("main")).to_contain_text("6 commandés par 3 foyers")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=tmp_path / "shortage-product-360.png", full_page=True)

    page.get_by_label("Quantité livrée").fill("3")
    page.get_by_label("au prorata de ce que chaque foyer a commandé").check()
    page.get_by_role("button", name="Voir ce que reçoit chaque foyer").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("foyers changent")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=tmp_path / "shortage-preview-360.png", full_page=True)
    assert not BalanceEntry.objects.exists()
    page.get_by_role("button", name="Confirmer le manquant").click()
    expect(page.locator("main")).to_contain_text("Manquant appliqué : 2 foyers prévenus")

    # 3 of 6 in proportion: 1, 0.5 and 1.5; the unit left goes to the half of the order
    # placed first (Denis): Denis keeps his loaf, Aïcha and Émile get 1 each.
    gets = dict(OrderLine.objects.values_list("order__full_name", "delivered_quantity"))
    assert gets == {"Aïcha Benali": 1, "Denis Petit": None, "Émile Zola": 1}

    page.get_by_role("link", name=re.compile("Pain de campagne")).click()
    page.get_by_role("link", name="Corriger — Émile Zola").click()
    page.get_by_label("Quantité livrée").fill("0")
    page.get_by_label("Pourquoi").fill("Oubliée au fournil")
    page.get_by_role("button", name="Corriger la ligne").click()
    expect(page.locator("main")).to_contain_text("Ligne corrigée")
    assert OrderLine.objects.get(order__full_name="Émile Zola").delivered_quantity == 0
    page.screenshot(path=tmp_path / "shortage-lines-360.png", full_page=True)
