"""The food aid pages on a phone, with the keyboard alone: a manager creates a programme,
enrols a household without an account, credits the month, reads the funder's report; the
household sees the aid on its balance. No serious accessibility violation (axe)."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from orders.allocations import services
from orders.models import AllocationProgramme, BalanceEntry, Customer
from tests.e2e.browser import log_in
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

SHOTS = os.environ.get("SHOTS_DIR")


def check(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
    assert_accessible(page)


@pytest.fixture(autouse=True)
def _phone(page: Page):
    page.set_viewport_size({"width": 360, "height": 740})


def test_a_manager_runs_a_programme_with_the_keyboard(
    page: Page, live_server, hub, manager, household, offers
):
    Customer.objects.create(hub=hub, full_name="Mme Dupont", phone="+33320000000")
    Customer.objects.create(
        hub=hub, user=household, email=household.email, full_name=household.full_name
    )
    month = services.this_month()
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/food-aid/")
    check(page, "food-aid-list")

    page.locator("#id_name").focus()
    page.keyboard.type("Caisse alimentaire de Fives")
    page.keyboard.press("Tab")
    page.keyboard.type("Ville de Lille")
    page.keyboard.press("Tab")
    page.keyboard.type("20,00")
    page.locator("#id_first_month").fill(f"{month:%Y-%m}")
    page.locator("#id_last_month").fill(f"{month:%Y-%m}")
    page.locator("#id_eligible_only").focus()
    page.keyboard.press("Space")
    page.locator("#id_eligible_only").focus()
    page.keyboard.press("Tab")  # the button
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/food-aid/\d+/$"))
    programme = AllocationProgramme.objects.get()
    assert programme.eligible_only
    check(page, "food-aid-programme")

    page.locator("#id_customer").select_option(label="Mme Dupont · 03 20 00 00 00")
    page.locator("#id_customer").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main table")).to_contain_text("Foyer 01")
    page.locator("#id_customer").select_option(label=f"{household.full_name} · {household.email}")
    page.locator("main form").nth(1).locator("button").click()
    expect(page.locator("main table")).to_contain_text("Foyer 02")
    page.get_by_role("button", name="Verser l’aide de ce mois maintenant").press("Enter")
    expect(page.locator(".message, [role=status], .messages").first).to_contain_text("2 foyers")
    assert BalanceEntry.objects.filter(kind="allocation").count() == 2
    check(page, "food-aid-programme-credited")

    page.get_by_role("link", name="Bilan pour le financeur").press("Enter")
    page.wait_for_url(re.compile(r"/report/$"))
    expect(page.locator("main")).to_contain_text("Foyer 02")
    expect(page.locator("main")).not_to_contain_text("Dupont")
    check(page, "food-aid-report")

    page.goto(f"{live_server.url}/hubs/{hub.slug}/food-aid/eligible/")
    check(page, "food-aid-eligible")

    page.context.clear_cookies()
    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/orders/balance/{hub.slug}/")
    expect(page.locator("main")).to_contain_text("d’aide alimentaire, utilisable sur les produits")
    check(page, "food-aid-balance")
