"""Browser test: the basement loses the signal in the middle of a distribution. The
volunteer's phone keeps the list (service worker, IndexedDB), queues the ticks and the
payments, says how many wait, and sends them once the network is back; meanwhile another
volunteer, still online, took one household's money too, and the hub cancelled an order.
The server ends with each change applied once, and both volunteers see the same list."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.checkout.services import cancel_order, place_order
from orders.models import Order, OrderEvent, Payment
from pickup_points.models import ClientAction
from tests import factories
from tests.e2e.browser import log_in

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Axe()
PHONE = {"width": 360, "height": 740}


def check_page(page: Page, shots, name: str) -> None:
    """No horizontal scroll at 360 px, no serious accessibility violation (axe), a
    screenshot to look at."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    violations = AXE.run(page).response["violations"]
    bad = [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]
    assert not bad, f"{page.url}: {bad}"
    page.screenshot(path=shots / f"{name}.png", full_page=True)


def euros(amount: Decimal) -> str:
    return f"{amount}".replace(".", ",")


def test_a_distribution_goes_on_offline_and_every_change_is_applied_once(
    page: Page, browser, live_server, pickup_point, cycle, slot, offers, tmp_path
):
    shots = tmp_path
    volunteer = factories.UserFactory(email="benevole@example.org", full_name="Zoé Bénévole")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=volunteer)
    other = factories.UserFactory(email="karim@example.org", full_name="Karim Second")
    factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=other)
    denis, emile, fabien = (
        place_order(
            cycle=cycle, slot=slot, items={offers["bread"].pk: n + 1}, email=f"{n}@example.org",
            full_name=name, notify=False,
        )
        for n, name in enumerate(["Denis Petit", "Émile Zola", "Fabien Martin"])
    )  # fmt: skip
    cycle.closes_at = timezone.now() - timedelta(minutes=1)  # distribution day
    cycle.save(update_fields=["closes_at"])
    url = f"{live_server.url}/points/{pickup_point.slug}/cycles/{cycle.pk}/"
    badge = page.locator("#offline-status")

    # Online: the page keeps the list on the phone and its service worker takes over.
    page.set_viewport_size(PHONE)
    log_in(page, live_server, volunteer, lands_on=re.compile(r"/spaces/"))
    page.goto(url)
    expect(badge).to_contain_text("Liste gardée sur ce téléphone")
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)") == (
        f"{live_server.url}/points/"
    )
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    page.locator(f"#order-{denis.pk}").get_by_role("button", name="Retiré").click()
    expect(badge).to_contain_text("Synchronisé")
    denis.refresh_from_db()
    assert denis.collected_by == volunteer

    # The signal goes.
    page.context.set_offline(True)
    expect(badge).to_have_text("Hors ligne — 0 changement en attente")
    page.locator(f"#order-{emile.pk}").get_by_role("button", name="Retiré").click()
    row = page.locator(f"#order-{emile.pk}")
    row.locator("input[name=amount]").fill(euros(emile.total))
    row.get_by_role("button", name="Payé —").dblclick()  # one payment all the same
    row = page.locator(f"#order-{fabien.pk}")
    row.locator("select[name=method]").select_option("cheque")
    row.locator("input[name=amount]").fill("5,00")
    row.get_by_role("button", name="Payé —").click()
    # A wrong tap on Denis, undone: the tick the phone showed.
    page.locator(f"#order-{denis.pk}").get_by_role("button", name="Retiré").click()
    # A wrong amount is refused on the phone itself, and queues nothing.
    row = page.locator(f"#order-{denis.pk}")
    row.locator("input[name=amount]").fill("999")
    row.get_by_role("button", name="Payé —").click()
    expect(row.locator(".row-error")).to_contain_text("dus aujourd’hui")
    expect(page.locator(f"#order-{fabien.pk} input[name=amount]")).to_have_count(0)
    expect(badge).to_have_text("Hors ligne — 4 changements en attente")
    expect(page.locator(f"#order-{emile.pk}")).to_have_class(re.compile("is-collected"))
    expect(page.locator(f"#order-{emile.pk}")).to_contain_text("reçus (espèces)")
    expect(page.locator(f"#order-{denis.pk}")).not_to_have_class(re.compile("is-collected"))
    check_page(page, shots, "1-offline")

    # Opening the page again without a network: the kept copy, the changes still waiting.
    page.reload()
    expect(badge).to_have_text("Hors ligne — 4 changements en attente")
    expect(page.locator(f"#order-{emile.pk}")).to_have_class(re.compile("is-collected"))
    expect(page.locator(f"#order-{fabien.pk}")).to_contain_text("reçus (chèque)")
    assert not Payment.objects.exists()
    emile.refresh_from_db()
    assert emile.collected_at is None
    # The search looks through the rows kept (accents ignored).
    page.fill("#household-search", "emile")
    expect(page.locator("#households > li.household:visible")).to_have_count(1)
    expect(page.locator(f"#order-{emile.pk}")).to_be_visible()
    page.fill("#household-search", "")
    expect(page.locator("#households > li.household:visible")).to_have_count(3)

    # Meanwhile, upstairs with a signal: another volunteer takes Émile's money too, and
    # the hub cancels Fabien's order.
    second = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=PHONE)
    other_page = second.new_page()
    log_in(other_page, live_server, other, lands_on=re.compile(r"/spaces/"))
    other_page.goto(url)
    row = other_page.locator(f"#order-{emile.pk}")
    row.locator("input[name=amount]").fill(euros(emile.total))
    row.get_by_role("button", name="Payé —").click()
    expect(other_page.locator("#offline-status")).to_contain_text("Synchronisé")
    cancel_order(order=fabien, force=True, notify=False)

    # The signal is back: everything is sent, once.
    page.context.set_offline(False)
    expect(badge).to_contain_text("Synchronisé")
    refused = page.locator("#offline-refused")
    expect(refused).to_contain_text("Fabien Martin")
    expect(refused).to_contain_text("annulée")
    expect(refused).to_contain_text("rendez-les")
    expect(page.locator(f"#order-{emile.pk} .row-note")).to_contain_text("en trop")
    expect(page.locator(f"#order-{fabien.pk}")).to_have_count(0)  # no longer on the list
    check_page(page, shots, "2-synchronised")
    refused.get_by_role("button", name="Lu").click()
    expect(refused).to_be_hidden()

    for order in (denis, emile, fabien):
        order.refresh_from_db()
    assert denis.collected_at is None
    assert emile.collected_by == volunteer
    assert fabien.status == Order.Status.CANCELLED and not fabien.payments.exists()
    payments = list(emile.payments.order_by("pk").values_list("amount", "recorded_by"))
    assert payments == [(emile.total, other.pk), (emile.total, volunteer.pk)]
    emile.customer.refresh_from_db()
    assert emile.customer.balance == emile.total  # the second payment, kept as credit
    assert emile.events.filter(kind=OrderEvent.Kind.COLLECTED).count() == 1
    assert denis.events.filter(kind=OrderEvent.Kind.COLLECTED).count() == 1
    outcomes = sorted(ClientAction.objects.values_list("kind", "outcome"))
    assert outcomes == sorted([
        ("collected", "applied"), ("collected", "applied"), ("payment", "applied"),
        ("payment", "applied"), ("payment", "refused"), ("uncollected", "applied"),
    ])  # fmt: skip

    # Both volunteers see the same list.
    other_page.reload()
    for shown in (page, other_page):
        expect(shown.locator(f"#order-{emile.pk}")).to_have_class(re.compile("is-collected"))
        expect(shown.locator(f"#order-{denis.pk}")).not_to_have_class(re.compile("is-collected"))
        expect(shown.locator(f"#order-{fabien.pk}")).to_have_count(0)
    second.close()

    # Logging out forgets the list kept on the phone (a shared phone keeps no names).
    kept = "caches.keys().then((keys) => keys.filter((k) => k.startsWith('foodhub-')).length)"
    assert page.evaluate(kept) >= 1
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(lambda url: "/points/" not in url)
    assert page.evaluate(kept) == 0
    databases = page.evaluate("indexedDB.databases().then((dbs) => dbs.map((db) => db.name))")
    assert "foodhub-distribution" not in databases
