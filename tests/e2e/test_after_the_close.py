"""Browser test, the whole week after the close on a phone (360 px): a packer weighs the
chickens, the baker brought one loaf short; at the pickup point the volunteer asks the
household for its new amount and records 30 € cash, the change kept as credit; the hub
makes the adjustments final; the household downloads its invoice (Factur-X) and sees its
credit."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import facturx
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.checkout.services import place_order
from orders.models import BalanceEntry, Customer, Invoice, OrderCycle, OrderLine
from tests import factories
from tests.e2e.browser import log_in
from tests.orders.test_invoices import set_identity

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
AXE = Axe()


def check_page(page: Page, shots, name: str) -> None:
    """No horizontal scroll at 360 px, no serious accessibility violation (axe), a
    screenshot to look at."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    violations = AXE.run(page).response["violations"]
    bad = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"
    page.screenshot(path=shots / f"{name}.png", full_page=True)


def test_after_the_close_weights_shortage_cash_with_change_kept_invoice_and_credit(
    page: Page, live_server, manager, household, hub, producer, cycle, slot, pickup_point,
    offers, category, tmp_path,
):  # fmt: skip
    set_identity(hub)
    volunteer = factories.UserFactory(email="benevole@example.org", full_name="Zoé Bénévole")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=D("1.5"), sold_by_weight=True,
        price_per_kg=D("12.00"), stock_quantity=20, vat_rate="5.5",
    )  # fmt: skip
    chickens = factories.OfferFactory(cycle=cycle, variant=chicken)
    bread = offers["bread"]
    # Denis orders first; Camille (an account) last: she loses first when bread is short.
    denis = place_order(
        cycle=cycle, slot=slot, items={chickens.pk: 1, bread.pk: 1}, email="denis@example.org",
        full_name="Denis Petit", notify=False,
    )  # fmt: skip
    camille = place_order(
        cycle=cycle, slot=slot, items={chickens.pk: 1, bread.pk: 2}, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    assert camille.total == D("27.60")  # a chicken of about 18,00 and two loaves of 4,80
    # The cycle closed an hour ago and the worker processed its closing.
    OrderCycle.objects.filter(pk=cycle.pk).update(
        closes_at=timezone.now() - timedelta(hours=1),
        closed_at=timezone.now() - timedelta(minutes=50),
    )
    page.set_viewport_size({"width": 360, "height": 740})

    # 1. The packer weighs: Camille's chicken 1,74 kg, Enter, Denis's field is ready; a
    # typo (15 kg) asks for a confirmation first.
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Pesée").click()
    page.wait_for_url(re.compile(r"/weighing/$"))
    expect(page.locator("#weighing-left")).to_contain_text("2 lignes sur 2 à peser")
    check_page(page, tmp_path, "1-weighing")
    lines = dict(OrderLine.objects.filter(offer=chickens).values_list("order_id", "pk"))
    page.fill(f"#weight-{lines[camille.pk]}", "1,74")
    page.press(f"#weight-{lines[camille.pk]}", "Enter")
    expect(page.locator(f"#line-{lines[camille.pk]}")).to_contain_text("Pesé : 20,88")
    expect(page.locator(f"#weight-{lines[denis.pk]}")).to_be_focused()
    page.keyboard.type("15")
    page.keyboard.press("Enter")
    expect(page.locator(f"#line-{lines[denis.pk]}")).to_contain_text("loin de l’estimation")
    confirm = page.get_by_role("button", name="Confirmer ce poids")
    expect(confirm).to_be_focused()
    check_page(page, tmp_path, "1-weighing-confirm")
    page.fill(f"#weight-{lines[denis.pk]}", "1,5")
    page.press(f"#weight-{lines[denis.pk]}", "Enter")
    expect(page.locator(f"#line-{lines[denis.pk]}")).to_contain_text("Pesé : 18,00")
    expect(page.locator("#weighing-left")).to_contain_text("Chaque ligne est pesée")
    check_page(page, tmp_path, "1-weighed")

    # 2. The baker brought 2 loaves of 3: recorded, previewed, confirmed; the last order
    # placed (Camille's) loses one.
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Manquants et corrections").click()
    page.get_by_role("link", name=re.compile("Pain de campagne")).click()
    expect(page.locator("main")).to_contain_text("3 commandés par 2 foyers")
    check_page(page, tmp_path, "2-shortage")
    page.get_by_label("Quantité livrée").fill("2")
    expect(page.get_by_label("les dernières commandes passées perdent d’abord")).to_be_checked()
    page.get_by_role("button", name="Voir ce que reçoit chaque foyer").click()
    expect(page.get_by_role("heading", level=2)).to_contain_text("1 foyer")
    preview = page.locator("main table")
    expect(preview).to_contain_text("Camille Foyer")
    expect(preview).to_contain_text("9,60 € → 4,80 €")
    expect(preview).not_to_contain_text("Denis Petit")
    check_page(page, tmp_path, "2-shortage-preview")
    assert not BalanceEntry.objects.filter(kind=BalanceEntry.Kind.SHORTAGE).exists()
    page.get_by_role("button", name="Confirmer le manquant").click()
    expect(page.locator("main")).to_contain_text("Manquant appliqué : 1 foyer prévenu")
    check_page(page, tmp_path, "2-shortage-applied")
    # Camille: 2,88 more for the chicken, 4,80 back for the loaf: 1,92 of credit.
    assert Customer.objects.get(user=household).balance == D("1.92")
    # The invariant: what the lines now come to is the order's total less its adjustments.
    finals = sum(line.final_total for line in camille.lines.all())
    assert finals + camille.fee_total == camille.total - D("1.92") == D("25.68")

    # 3. At the pickup point the volunteer sees Camille's new amount: her order now comes
    # to 25,68 (27,60 ordered), that is 27,60 less her 1,92 of credit. She hands over
    # 30 € and keeps the change, in one tap.
    page.context.clear_cookies()
    log_in(page, live_server, volunteer)
    page.goto(f"{live_server.url}/points/{pickup_point.slug}/cycles/{cycle.pk}/")
    row = page.locator(f"#order-{camille.pk}")
    expect(row).to_contain_text("maintenant 25,68 € (commandé 27,60 €)")
    expect(row).to_contain_text("25,68 € à payer aujourd’hui")
    expect(row).to_contain_text("après 1,92 € d’avoir")
    expect(row.locator("input[name=amount]")).to_have_value("25,68")
    check_page(page, tmp_path, "3-distribution")
    url = page.url
    row.locator("input[name=amount]").fill("30")
    row.get_by_role("button", name="Payé, monnaie gardée en avoir").click()
    row = page.locator(f"#order-{camille.pk}")
    # The order is paid (1,92 of credit and 25,68 of the cash); the 4,32 left is credit.
    expect(row).to_contain_text("payé 27,60 €")
    expect(row).to_contain_text("4,32 € d’avoir")
    expect(row.locator("input[name=amount]")).to_have_count(0)
    assert page.url == url  # one tap, no page load
    check_page(page, tmp_path, "3-paid")
    entries = dict(BalanceEntry.objects.filter(order=camille).values_list("kind", "amount"))
    assert entries == {
        "weight": D("-2.88"), "shortage": D("4.80"), "credit_used": D("-1.92"),
        "overpayment": D("4.32"),
    }  # fmt: skip

    # 4. The manager makes the adjustments final: the invoices are issued (Huey runs its
    # tasks at once in the tests).
    page.context.clear_cookies()
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/invoices/")
    check_page(page, tmp_path, "4-invoices")
    page.get_by_role("button", name="Ajustements définitifs : émettre les factures").click()
    expect(page.locator("main")).to_contain_text("les factures sont en cours d’émission")
    expect(page.locator("#invoicing-status")).to_contain_text("2 factures émises.")
    invoice = Invoice.objects.get(order=camille)
    expect(page.locator(f"#invoice-{invoice.pk}")).to_contain_text("25,68 €")
    check_page(page, tmp_path, "4-invoiced")
    # Every euro of the week accounted for: the cycle's accounts.
    page.goto(f"{live_server.url}/hubs/{hub.slug}/cycles/{cycle.pk}/")
    page.get_by_role("link", name="Comptes").click()
    expect(page.locator("main")).to_contain_text("Chaque euro est justifié.")
    expect(page.locator("main")).to_contain_text("Facturé (2 factures)")
    check_page(page, tmp_path, "4-accounts")
    # What she gets (the weighed chicken, one loaf) is what she ordered less her
    # adjustments.
    assert invoice.total_incl_vat == D("20.88") + D("4.80") == camille.total - D("1.92")
    assert invoice.payment_note == "Acquittée."

    # 5. Camille sees her invoice in "my orders", downloads it (a Factur-X PDF), and her
    # balance: the change kept.
    page.context.clear_cookies()
    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/orders/")
    balance_link = page.get_by_role("link", name=f"Mon solde chez {hub.name}")
    expect(balance_link).to_be_visible()
    expect(page.locator("main")).to_contain_text("4,32 € d’avoir")
    link = page.get_by_role("link", name=f"Facture {invoice.number}")
    check_page(page, tmp_path, "5-my-orders")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    _, xml = facturx.get_xml_from_pdf(io.BytesIO(pdf), check_xsd=False)
    assert invoice.number.encode() in xml and b"25.68" in xml
    balance_link.click()
    expect(page.locator("h1")).to_have_text(f"Mon solde chez {hub.name}")
    expect(page.locator("main .lead")).to_contain_text("4,32 € d’avoir")
    expect(page.locator("main table")).to_contain_text("monnaie gardée en avoir")
    check_page(page, tmp_path, "5-balance")
