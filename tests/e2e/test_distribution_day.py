"""Browser test: on distribution day, a volunteer on a phone ticks a household's order as
collected and records its cash payment, without page reloads (htmx)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.checkout.services import place_order
from orders.models import OrderEvent
from tests import factories
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_volunteer_ticks_collected_and_records_cash_on_a_phone(
    page: Page, live_server, pickup_point, cycle, slot, offers
):
    volunteer = factories.UserFactory(email="benevole@example.org", full_name="Zoé Bénévole")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    orders = [
        place_order(
            cycle=cycle, slot=slot, items={offers["bread"].pk: n + 1}, email=f"{n}@example.org",
            full_name=name, notify=False,
        )
        for n, name in enumerate(["Émile Zola", "Denis Petit"])
    ]  # fmt: skip
    emile = orders[0]
    cycle.closes_at = timezone.now() - timedelta(minutes=1)  # distribution day
    cycle.save(update_fields=["closes_at"])

    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, volunteer, lands_on=re.compile(r"/spaces/"))
    page.goto(f"{live_server.url}/points/{pickup_point.slug}/cycles/{cycle.pk}/")
    expect(page.locator("#counts")).to_contain_text("2 attendus")
    names = page.locator(".household-name strong").all_inner_texts()
    assert names == ["Denis Petit", "Émile Zola"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    url = page.url

    row = page.locator(f"#order-{emile.pk}")
    row.get_by_role("button", name="Retiré").click()
    expect(page.locator(f"#order-{emile.pk}")).to_have_class("household is-collected")
    expect(page.locator("#counts")).to_contain_text("1 restant")

    # A wrong amount is refused with a message on the row, and changes nothing.
    row = page.locator(f"#order-{emile.pk}")
    row.locator("input[name=amount]").fill("999")
    row.get_by_role("button", name="Payé —").click()
    expect(page.locator(f"#order-{emile.pk} .row-error")).to_contain_text("dus aujourd’hui")
    assert not emile.payments.exists()

    row = page.locator(f"#order-{emile.pk}")
    row.locator("select[name=method]").select_option("cash")
    row.locator("input[name=amount]").fill(f"{emile.total}".replace(".", ","))
    expect(row.locator("input[name=amount]")).to_have_value(f"{emile.total}".replace(".", ","))
    row.get_by_role("button", name="Payé —").click()
    expect(page.locator(f"#order-{emile.pk}")).to_contain_text("payé")
    expect(page.locator(f"#order-{emile.pk} input[name=amount]")).to_have_count(0)
    assert page.url == url  # no page load: htmx did it all

    emile.refresh_from_db()
    assert emile.collected_by == volunteer
    [payment] = emile.payments.all()
    assert (payment.method, payment.amount, payment.recorded_by) == (
        "cash",
        emile.total,
        volunteer,
    )
    assert set(emile.events.values_list("kind", flat=True)) >= {
        OrderEvent.Kind.COLLECTED,
        OrderEvent.Kind.PAYMENT,
    }
