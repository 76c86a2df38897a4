"""One paper form keyed by two relays at the same instant: one order, never two.

On PostgreSQL (``DATABASE_URL=postgres://...``), where the form's row lock does the work;
SQLite's in-memory test database cannot queue concurrent writers (see test_concurrency)."""

import pytest
from django.db import connection

from foodhub.hubs.models import Relay
from orders.models import Order, PaperForm
from orders.paper_forms import services
from orders.relays.services import create_household
from tests import factories
from tests.orders.test_concurrency import in_parallel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: row locks are tested"
    ),
]


def test_a_form_keyed_twice_at_the_same_instant_gives_one_order(hub, slot, offers):
    relays = [factories.UserFactory() for _n in range(2)]
    for relay in relays:
        Relay.objects.create(hub=hub, user=relay)
    households = [
        create_household(
            hub=hub, by=relay, full_name=f"Foyer {n}", phone=f"061234567{n}", consent="by_phone"
        )
        for n, relay in enumerate(relays)
    ]
    [form] = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relays[0], copies=1)
    form = PaperForm.objects.select_related("cycle_pickup__cycle__hub").get(pk=form.pk)

    def key(n):
        return services.place_keyed_order(
            paper_form=form, by=relays[n], quantities={offers["carrots"].pk: 1}, slot=slot,
            customer=households[n],
        )  # fmt: skip

    outcomes = in_parallel(2, key)
    placed = [outcome for outcome in outcomes if isinstance(outcome, Order)]
    refused = [o for o in outcomes if isinstance(o, services.FormAlreadyKeyed)]
    assert (len(placed), len(refused)) == (1, 1), outcomes
    assert Order.objects.count() == 1
    form.refresh_from_db()
    assert form.order == placed[0]
    offers["carrots"].refresh_from_db()
    assert offers["carrots"].allocated == 1
