"""Keying paper order forms back in: fifty forms must be keyable in an evening.

BENCH paper_form_keying_ms       median server time per keyed form of 40 lines: the POST
                                 that reviews it plus the POST that places it, for a
                                 household the relay helps (target ≤ 150 ms)
BENCH paper_form_keying_queries  the SQL queries of those two POSTs
BENCH paper_form_pdf_ms          one form of 40 lines as PDF (two pages), built in the request

Measured in-process with Django's test client on generated data (a scratch database: see
``_setup``); every form is a new one, for a new household.
"""

import time
from datetime import timedelta
from decimal import Decimal

from tests.bench._setup import migrate, open_cycle, pickup_slot, report

LINES = 40
FORMS = 30


def build_world():
    from django.utils import timezone

    from foodhub.accounts.models import User
    from foodhub.hubs.models import Hub, Relay
    from orders.models import Offer
    from orders.relays.services import create_household
    from producers.models import Category, Producer, Product, Variant

    hub = Hub.objects.create(name="Drive des bons papier", slug="papier", order_prefix="PAP")
    relay = User.objects.create_user(email="relais@example.org", password="banc-papier")
    Relay.objects.create(hub=hub, user=relay)
    producer = Producer.objects.create(name="Ferme du papier", slug="ferme-papier")
    hub.producers.add(producer)
    categories = [
        Category.objects.create(name=name, slug=f"{name.lower()}-banc", position=n)
        for n, name in enumerate(["Légumes", "Fruits", "Crèmerie", "Épicerie"])
    ]
    variants = [
        Variant.objects.create(
            product=Product.objects.create(
                producer=producer, name=f"Produit {n:02d}", category=categories[n % 4]
            ),
            name="botte",
            price=Decimal("2.40") + n,
            stock_quantity=100_000,
        )
        for n in range(LINES)
    ]
    cycle = open_cycle(hub, "Semaine des bons", closes_in=timedelta(days=3))
    Offer.objects.bulk_create(Offer.at_catalogue_price(cycle=cycle, variant=v) for v in variants)
    slot = pickup_slot(
        cycle, slug="papier", day=(timezone.now() + timedelta(days=4)).date(), capacity=10_000
    )
    households = [
        create_household(
            hub=hub,
            by=relay,
            full_name=f"Foyer {n:03d}",
            phone=f"06 12 34 {n // 100:02d} {n % 100:02d}",
            consent="in_person",
        )  # fmt: skip
        for n in range(FORMS + 1)
    ]
    return hub, relay, slot, households


def main():
    migrate()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from orders.models import Order
    from orders.paper_forms import documents, services

    hub, relay, slot, households = build_world()
    forms = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=2)
    forms += [
        form
        for _n in range(FORMS // 2)
        for form in services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=2)
    ]
    start = time.perf_counter()
    documents.paper_forms_pdf(slot.cycle_pickup, forms[:1])
    documents.paper_forms_pdf(slot.cycle_pickup, forms[:1])  # the first call loads fonts
    report("paper_form_pdf_ms", (time.perf_counter() - start) / 2 * 1000, "ms")

    client = Client()
    client.force_login(relay)
    lines = {f"l{n}": str(1 + n % 3) for n in range(1, LINES + 1)}

    def key(form, household):
        url = reverse("paper_forms:key", args=[hub.slug, form.code])
        data = {**lines, "household": household.pk}
        review = client.post(url, {**data, "action": "review"})
        assert review.status_code == 200, review.content[:500]
        placed = client.post(url, {**data, "action": "place", "slot": slot.pk})
        assert placed.status_code == 302, placed.content[:500]

    key(forms[0], households[0])  # warm up templates and connections
    timings = []
    for form, household in zip(forms[1:FORMS], households[1:FORMS], strict=True):
        started = time.perf_counter()
        key(form, household)
        timings.append(time.perf_counter() - started)
    timings.sort()
    report("paper_form_keying_ms", timings[len(timings) // 2] * 1000, "ms")
    with CaptureQueriesContext(connection) as queries:
        key(forms[FORMS], households[FORMS])
    report("paper_form_keying_queries", len(queries), "queries")
    assert Order.objects.count() == FORMS + 1
    assert all(order.lines.count() == LINES for order in Order.objects.all()[:3])


if __name__ == "__main__":
    main()
