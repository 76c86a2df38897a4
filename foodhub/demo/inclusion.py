"""The demo's households far from digital tools: a relay of Lille-Sud, the households
without e-mail she orders for (with their consent), their orders in this week's cycle."""

from foodhub.hubs.models import Relay
from orders.checkout import services
from orders.models import Customer, OrderCycle, PickupSlot
from orders.relays.services import create_household

from . import files


def load_inclusion(*, hubs: dict, users: dict, summary, now) -> None:
    relay = users[files.RELAY.email]
    hub = hubs[files.RELAY.relay_of]
    Relay.objects.get_or_create(hub=hub, user=relay)
    made, households = 0, []
    for planned in files.HELPED_HOUSEHOLDS:
        customer = Customer.objects.filter(hub=hub, full_name=planned.full_name, email="").first()
        if customer is None:
            customer = create_household(
                hub=hub,
                by=relay,
                full_name=planned.full_name,
                phone=planned.phone,
                consent=planned.consent,
            )
            made += 1
        households.append((planned, customer))
    summary.record("households helped by a relay", created=made, existing=len(households) - made)
    cycle = OrderCycle.objects.filter(hub=hub, name=files.OPEN_CYCLE).first()
    if cycle is None or not cycle.is_open(now):
        return
    offers = list(cycle.offers.order_by("pk")[:3])
    slot = PickupSlot.objects.filter(cycle_pickup__cycle=cycle).order_by("pk").first()
    placed = 0
    for planned, customer in households:
        if not planned.orders or cycle.orders.filter(customer=customer).exists():
            continue
        try:
            services.place_order(
                cycle=cycle,
                items={offer.pk: 1 for offer in offers},
                email="",
                full_name="",
                slot=slot,
                customer=customer,
                placed_by=relay,
                notify=False,
                now=now,
            )
        except services.OrderError:
            continue  # sold out or slot full
        placed += 1
    summary.record("orders placed by a relay", created=placed, existing=0)
