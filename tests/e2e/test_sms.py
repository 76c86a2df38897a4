"""The SMS pages in a phone's browser: choosing SMS with the keyboard alone, the stop link,
each hub's SMS per month; no serious or critical axe violation at 360 px."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import Customer, OutgoingEmail
from orders.sms import services
from tests.e2e.browser import log_in
from tests.e2e.test_accessibility import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _phone(page: Page):
    page.set_viewport_size({"width": 360, "height": 740})


def test_a_household_chooses_its_sms_with_the_keyboard(page: Page, live_server, hub, household):
    customer = Customer.objects.create(
        hub=hub, user=household, email=household.email, full_name="Camille Foyer",
        phone="06 12 34 56 78",
    )  # fmt: skip
    log_in(page, live_server, household)
    page.goto(f"{live_server.url}/orders/sms/")
    assert_accessible(page)
    page.locator(f"#id_c{customer.pk}-reminder").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".message")).to_contain_text(hub.name)
    customer.refresh_from_db()
    assert customer.sms_reminder and not customer.sms_confirmation
    assert_accessible(page)


def test_the_stop_link_and_the_hubs_sms_are_accessible(page: Page, live_server, hub, manager):
    customer = Customer.objects.create(hub=hub, email="voisin@example.org", full_name="Alex",
                                       phone="+33612345678", sms_confirmation=True)  # fmt: skip
    page.goto(f"{live_server.url}/sms/stop/{services.stop_token(customer.pk)}")
    assert_accessible(page)
    page.keyboard.press("Tab")
    page.locator("#sms-stop-form button").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".message-success")).to_be_visible()
    assert_accessible(page)
    assert Customer.objects.get(pk=customer.pk).sms_stopped_at is not None

    OutgoingEmail.objects.create(key="sms:1:order:1", kind="sms_confirmation", channel="sms",
                                 to="+33612345678", hub=hub, status="sent",
                                 sent_at=timezone.now())  # fmt: skip
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/hubs/{hub.slug}/sms/")
    expect(page.locator("tbody tr")).to_have_count(1)
    assert_accessible(page)
