"""Browser test: after the close, a packer weighs the chickens on a phone, a weight and
Enter, the next field ready; a weight far from the estimate is confirmed first."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.checkout.services import place_order
from orders.models import BalanceEntry, OrderCycle, OrderLine
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_packer_weighs_the_lines_on_a_phone_with_the_keyboard(
    page: Page, live_server, manager, hub, producer, cycle, slot, category, tmp_path
):
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=Decimal("1.5"), sold_by_weight=True,
        price_per_kg=Decimal("12.00"), stock_quantity=20,
    )  # fmt: skip
    offer = factories.OfferFactory(cycle=cycle, variant=chicken)
    for n, name in enumerate(["Émile Zola", "Denis Petit", "Aïcha Benali"]):
        place_order(
            cycle=cycle, slot=slot, items={offer.pk: 1}, email=f"{n}@example.org",
            full_name=name, notify=False,
        )  # fmt: skip
    OrderCycle.objects.filter(pk=cycle.pk).update(closes_at=timezone.now() - timedelta(hours=1))

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", manager.email)
    page.fill("#id_password", factories.DEFAULT_PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(r"/spaces/"))
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Pesée").click()
    page.wait_for_url(re.compile(r"/weighing/$"))  # loaded: the page's script too
    expect(page.locator("#weighing-left")).to_contain_text("3 lignes sur 3 à peser")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    fields = page.locator("input[name=weight]")
    lines = list(OrderLine.objects.order_by("order__full_name").values_list("pk", flat=True))

    # Aïcha's chicken: 1,62 kg and Enter; the next field (Denis) is ready.
    fields.nth(0).fill("1,62")
    fields.nth(0).press("Enter")
    expect(page.locator(f"#line-{lines[0]}")).to_contain_text("Pesé : 19,44")
    expect(page.locator(f"#weight-{lines[1]}")).to_be_focused()
    expect(page.locator("#weighing-left")).to_contain_text("2 lignes sur 3")

    # Denis's: 15 kg is a typo far from the estimate: asked to confirm, nothing written.
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{lines[1]}")).to_contain_text("loin de l’estimation")
    expect(page.get_by_role("button", name="Confirmer ce poids")).to_be_focused()
    assert OrderLine.objects.get(pk=lines[1]).actual_weight is None
    page.fill(f"#weight-{lines[1]}", "1,5")
    page.press(f"#weight-{lines[1]}", "Enter")
    expect(page.locator(f"#line-{lines[1]}")).to_contain_text("Pesé : 18,00")

    # Émile's, typed then left with Tab: saved too.
    page.fill(f"#weight-{lines[2]}", "1,4")
    page.press(f"#weight-{lines[2]}", "Tab")
    expect(page.locator("#weighing-left")).to_contain_text("Chaque ligne est pesée")
    page.screenshot(path=tmp_path / "weighing-360.png", full_page=True)

    weights = dict(OrderLine.objects.values_list("order__full_name", "actual_weight"))
    assert weights == {
        "Aïcha Benali": Decimal("1.620"),
        "Denis Petit": Decimal("1.500"),
        "Émile Zola": Decimal("1.400"),
    }
    # 18,00 estimated each: Aïcha owes 1,44; Émile is owed 1,20; Denis nothing.
    entries = dict(BalanceEntry.objects.values_list("order__full_name", "amount"))
    assert entries == {"Aïcha Benali": Decimal("-1.44"), "Émile Zola": Decimal("1.20")}
