"""Two workers ticking at the same instant (PostgreSQL: real row locks and concurrent
transactions) do each piece of work once: one closing, one e-mail each."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from orders.checkout import services
from orders.models import CycleDocument, OrderCycle, OutgoingEmail
from orders.worker import scheduler
from tests import factories
from tests.orders.test_concurrency import in_parallel, postgres_only

WORKERS = 4


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_ticks_close_a_cycle_once_and_e_mail_everyone_once(mailoutbox):
    producer = factories.ProducerFactory(email="ferme@example.org")
    cycle = factories.OrderCycleFactory()
    cycle.hub.producers.add(producer)
    pickup = factories.CyclePickupPointFactory(cycle=cycle)
    pickup.pickup_point.hubs.add(cycle.hub)
    slot = factories.PickupSlotFactory(cycle_pickup=pickup, capacity=100)
    offer = factories.OfferFactory(
        cycle=cycle,
        variant=factories.VariantFactory(product__producer=producer, stock_quantity=100),
    )
    for n in range(20):
        services.place_order(
            cycle=cycle, slot=slot, items={offer.pk: 1}, email=f"foyer{n}@example.org",
            full_name=f"Foyer {n}", notify=False,
        )  # fmt: skip

    with time_machine.travel(cycle.closes_at + timedelta(seconds=1), tick=False):
        outcomes = in_parallel(WORKERS, lambda i: scheduler.run_tick())
    assert outcomes == [None] * WORKERS

    cycle.refresh_from_db()
    assert cycle.closed_at is not None and cycle.close_step == scheduler.CLOSE_DONE
    assert OutgoingEmail.objects.count() == 21
    assert OutgoingEmail.objects.filter(status="sent").count() == 21
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert len(recipients) == 21 and len(set(recipients)) == 21  # nobody twice
    assert CycleDocument.objects.filter(cycle=cycle).count() == 2
    assert OrderCycle.objects.filter(opened_at__isnull=False).count() == 1
