"""The demo's households far from digital tools, at Lille-Sud: a relay, the households
without e-mail she orders for (with their consent, their SMS choices), their orders of
this week (one keyed in from a paper form), a food aid programme crediting some
households each month, and solidarity prices (some of the weeks' orders choose a tier)."""

from foodhub.accounts.models import User
from foodhub.hubs.models import Relay
from orders.allocations import services as food_aid
from orders.checkout import services
from orders.customers import customer_for
from orders.models import (
    AllocationProgramme,
    Customer,
    OrderCycle,
    PickupSlot,
    PriceTier,
    SolidaritySettings,
)
from orders.paper_forms import services as paper_forms
from orders.relays.services import create_household
from orders.sms.services import set_sms_choices
from orders.solidarity import services as solidarity
from producers.models import Product

from . import files


def load_inclusion(*, hubs: dict, users: dict, summary, now) -> None:
    relay = users[files.RELAY.email]
    hub = hubs[files.RELAY.relay_of]
    Relay.objects.get_or_create(hub=hub, user=relay)
    helped = _helped_households(hub, relay, summary)
    cycle = OrderCycle.objects.filter(hub=hub, name=files.OPEN_CYCLE).first()
    if cycle is not None and cycle.is_open(now):
        _orders_for_them(cycle, relay, helped, summary, now)
    _food_aid(hub, users, helped, summary, now)


def _helped_households(hub, relay, summary) -> dict:
    made, helped = 0, {}
    for planned in files.HELPED_HOUSEHOLDS:
        customer = Customer.objects.filter(hub=hub, full_name=planned.full_name, email="").first()
        if customer is None:
            customer = create_household(
                hub=hub, by=relay, full_name=planned.full_name, phone=planned.phone,
                consent=planned.consent,
            )  # fmt: skip
            # They chose, with the relay, to be told by SMS of their order and the day before.
            set_sms_choices(customer, confirmation=True, reminder=True, shop_open=False, by=relay)
            made += 1
        helped[planned.full_name] = (planned, customer)
    summary.record("households helped by a relay", created=made, existing=len(helped) - made)
    return helped


def _orders_for_them(cycle, relay, helped, summary, now) -> None:
    offers = list(cycle.offers.order_by("pk")[:3])
    slot = PickupSlot.objects.filter(cycle_pickup__cycle=cycle).order_by("pk").first()
    if not offers or slot is None:
        return
    placed = 0
    for planned, customer in helped.values():
        if cycle.orders.filter(customer=customer).exists():
            continue
        items = {offer.pk: 1 for offer in offers}
        try:
            if planned.paper_form:
                [form] = paper_forms.print_forms(
                    cycle_pickup=slot.cycle_pickup, by=relay, copies=1, now=now
                )
                paper_forms.place_keyed_order(
                    paper_form=form, by=relay, quantities=items, slot=slot, customer=customer,
                    now=now,
                )  # fmt: skip
            elif planned.orders:
                services.place_order(
                    cycle=cycle, items=items, email="", full_name="", slot=slot,
                    customer=customer, placed_by=relay, notify=False, now=now,
                )  # fmt: skip
            else:
                continue
        except services.OrderError:
            continue  # sold out or slot full
        placed += 1
    summary.record("orders placed by a relay", created=placed, existing=0)


def _food_aid(hub, users, helped, summary, now) -> None:
    plan = files.FOOD_AID
    programme = AllocationProgramme.objects.filter(hub=hub, name=plan.name).first()
    if programme is not None:
        summary.record("food aid programmes", created=0, existing=1)
        return
    manager = next(users[a.email] for a in files.DEMO_ACCOUNTS if a.manages == hub.slug)
    month = food_aid.this_month(now)
    programme = food_aid.create_programme(
        hub=hub, name=plan.name, funder=plan.funder, monthly_amount=plan.monthly_amount,
        first_month=month, last_month=month.replace(year=month.year + 1), eligible_only=True,
        by=manager,
    )  # fmt: skip
    food_aid.set_eligible_products(
        hub=hub,
        products=Product.objects.filter(
            producer__hubs=hub, category__slug__in=plan.eligible_categories
        ),
        by=manager,
    )
    households = [helped[name][1] for name in plan.helped]
    for user in User.objects.filter(full_name__in=plan.accounts).order_by("pk"):
        # Enrolled at the social centre: the hub's customer, whether it ordered yet or not.
        households.append(
            customer_for(hub_id=hub.pk, email=user.email, full_name=user.full_name, user=user)
        )
    for customer in households:
        food_aid.enrol(programme=programme, customer=customer, by=manager)
    food_aid.credit_month(programme=programme, month=month, by=manager)
    summary.record("food aid programmes", created=1, existing=0)


def enable_solidarity_prices(*, hubs: dict, summary) -> None:
    """Solidarity prices at Lille-Sud, before its cycles' orders are placed (``cycles.py``
    gives some of them a tier)."""
    plan, hub = files.SOLIDARITY, hubs[files.RELAY.relay_of]
    if SolidaritySettings.objects.filter(hub=hub).exists():
        summary.record("solidarity prices", created=0, existing=1)
        return
    solidarity.save_settings(
        SolidaritySettings(
            hub=hub,
            enabled=True,
            lower_percent=plan.lower_percent,
            upper_percent=plan.upper_percent,
            support_cap=plan.support_cap,
        )  # fmt: skip
    )
    summary.record("solidarity prices", created=1, existing=0)


def tier_of(hub, n: int) -> str | None:
    """The solidarity tier of the ``n``-th order of the demo's week at ``hub`` (1-based)."""
    if solidarity.settings_of(hub) is None:
        return None
    plan = files.SOLIDARITY
    if n % plan.upper_every == 0:
        return PriceTier.UPPER
    if n % plan.lower_every == 0:
        return PriceTier.LOWER
    return None
