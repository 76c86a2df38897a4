"""Browser test, an evening of paper forms on a phone (360 px): a relay types a form's
number, keys its lines with the keyboard alone (Enter moves on, a shortage is flagged as it
is typed, "go to line" jumps), makes the record of a new household, reviews and places the
order; the same form typed again is noticed, not placed twice."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from foodhub.hubs.models import Relay
from orders.models import Customer, Order
from orders.paper_forms import services
from tests import factories
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()


def check_page(page: Page, shots, name: str) -> None:
    """No horizontal scroll at 360 px, no serious accessibility violation (axe), a
    screenshot to look at."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    violations = AXE.run(page).response["violations"]
    bad = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"
    page.screenshot(path=shots / f"{name}.png", full_page=True)


def test_a_relay_keys_a_paper_form_with_the_keyboard_alone(
    page: Page, live_server, hub, slot, offers, tmp_path
):
    relay = factories.UserFactory(email="martine@example.org", full_name="Martine Relais")
    Relay.objects.create(hub=hub, user=relay)
    [form] = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    # Lines: 1 carrots (10 left, 2,40 €), 2 bread (on demand, 4,80 €), 3 apples (5 left, 5,90 €).

    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, relay)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/paper-forms/")
    check_page(page, tmp_path, "paper-forms")

    # The number typed where the cursor already is, and Enter.
    expect(page.locator("#id_number")).to_be_focused()
    page.keyboard.type(form.code)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/paper-forms/{form.code}/$"))
    check_page(page, tmp_path, "paper-form-keying")

    # Line 1 is ready: 2, Enter; line 2 left empty, Enter; line 3: 6 is more than is left.
    expect(page.locator("#l1")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#l2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#l3")).to_be_focused()
    page.keyboard.type("6")
    expect(page.locator("#e3")).to_have_text("Il n’en reste que 5.")
    expect(page.locator("#paper-total")).to_contain_text("40,20")  # 2 × 2,40 + 6 × 5,90
    page.keyboard.press("Backspace")
    page.keyboard.type("1")
    expect(page.locator("#e3")).to_have_text("")
    expect(page.locator("#paper-total")).to_contain_text("10,70")

    # Back to line 2 by its number: Shift+Tab up to "go to line", 2, Enter.
    for _field in ("#l2", "#l1", "button[value=check]", "#paper-jump"):
        page.keyboard.press("Shift+Tab")
    expect(page.locator("#paper-jump")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Enter")
    expect(page.locator("#l2")).to_be_focused()
    page.keyboard.type("1")
    expect(page.locator("#paper-total")).to_contain_text("15,50")

    # After the last line, Enter goes to the household: a new one, name, phone, consent.
    page.keyboard.press("Enter")
    expect(page.locator("#l3")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#id_household")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("Mme Dupont")
    page.keyboard.press("Tab")
    page.keyboard.type("06 12 34 56 78")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # "en personne"
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Continuer : vérifier la commande")).to_be_focused()
    page.keyboard.press("Enter")

    # The review: priced lines, the only slot chosen, Enter places the order.
    expect(page.locator("h1")).to_contain_text("Vérifier la commande du bon")
    expect(page.locator("main")).to_contain_text("Pour Mme Dupont (un nouveau foyer).")
    expect(page.locator("main")).to_contain_text("15,50")
    check_page(page, tmp_path, "paper-form-review")
    assert not Order.objects.exists() and not Customer.objects.exists()
    expect(page.get_by_role("button", name="Valider la commande")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/paper-forms/$"))
    order = Order.objects.get()
    expect(page.locator(".messages")).to_contain_text(f"Commande {order.number} passée")
    assert (order.full_name, order.placed_by, str(order.total)) == ("Mme Dupont", relay, "15.50")
    assert sorted(order.lines.values_list("quantity", flat=True)) == [1, 1, 2]

    # The next form is typed where the cursor is: the same one again is noticed.
    expect(page.locator("#id_number")).to_be_focused()
    page.keyboard.type(form.code)
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_contain_text("Ce bon a déjà été saisi")
    check_page(page, tmp_path, "paper-form-keyed-twice")
    assert Order.objects.count() == 1
