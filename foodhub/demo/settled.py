"""A past week of one demo hub gone through to the end, shaped by ``[settled]`` in
``data/cycles.toml``: what happens to money after the close, through the apps' own use cases.

Keyed on (hub, cycle name) like the other cycles: running it again creates nothing. The
steps are dated on the pickup day where the use cases take a time (weights, shortage,
orders handed over, adjustments final, invoices); money received at the pickup point is
recorded at loading time, as the counter records it.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from orders import clock
from orders.billing import counter, invoices, shortages, weighing
from orders.checkout import services
from orders.models import Order, OrderCycle, OutgoingEmail, PickupSlot

from . import files
from .cycles import create_cycle, process_as_the_worker_did

PLAN = files.SETTLED


def _at(day, moment: files.Moment) -> datetime:
    return clock.at(day + timedelta(days=moment.day), moment.at)


def load_settled_week(*, hub, households: dict[str, object], manager, summary, now) -> None:
    """1. The cycle, every variant offered (no cap for the week), and its slots.
    2. The households' orders, placed one after the other two hours after it opens.
    3. Closed by the worker's own steps, as the other past cycles.
    4. On the pickup day, in the morning: the shortage recorded and applied (its e-mails
       counted as sent), then the lines sold by weight weighed.
    5. At the pickup point: the orders handed over and paid (cash with the change kept as
       credit, exactly what was owed, or the order without its debt).
    6. That evening: the adjustments made final and every order invoiced (the invoices'
       PDFs are left to the worker, or to their first download).
    """
    if OrderCycle.objects.filter(hub=hub, name=PLAN.name).exists():
        summary.record("order cycles", created=0, existing=1)
        return
    today = clock.today(now)
    pickup_day = today + timedelta(days=PLAN.pickup_day)
    opens_at, closes_at = _at(today, PLAN.opens), _at(today, PLAN.closes)
    cycle = create_cycle(hub, PLAN.name, opens_at, closes_at, pickup_day, capped=False)
    orders = _place_orders(cycle, households, at=opens_at + timedelta(hours=2))
    OrderCycle.objects.filter(pk=cycle.pk).update(opened_at=opens_at)
    process_as_the_worker_did(cycle, now)
    cycle.refresh_from_db()

    morning = clock.at(pickup_day, files.WEEKS.slots[0].starts) - timedelta(hours=8)
    offers = {offer.variant.sku: offer for offer in cycle.offers.select_related("variant")}
    shortage = shortages.record_shortage(
        cycle=cycle, offer=offers[PLAN.shortage.sku], delivered=PLAN.shortage.delivered,
        by=manager, now=morning,
    )  # fmt: skip
    shortages.apply_shortage(shortage=shortage, by=manager, now=morning)
    # The worker sent the households their "what changed" e-mails that morning.
    OutgoingEmail.objects.filter(key__startswith=f"shortage:{shortage.pk}:").update(
        status=OutgoingEmail.Status.SENT, sent_at=morning
    )
    for planned, order in orders:
        for line in order.lines.filter(price_per_kg__isnull=False).select_related("offer__variant"):
            weight = planned.weights[line.offer.variant.sku]
            # The packers checked each weight: any far from its estimate is confirmed.
            weighing.record_weight(
                line=line, weight=weight, by=manager, confirmed=True, now=morning
            )

    handed_over = clock.at(pickup_day, files.WEEKS.slots[0].starts) + timedelta(minutes=30)
    for planned, order in orders:
        if planned.pays is None:
            continue  # did not come
        services.set_collected(order=order, collected=True, by=manager, now=handed_over)
        _pay(order, planned, by=manager)

    evening = clock.at(pickup_day, files.WEEKS.slots[-1].ends) + timedelta(minutes=5)
    if hub.missing_legal_identity():
        # A hub loaded before the demo had a legal identity: its invoices wait for it.
        summary.record("order cycles", created=1, existing=0)
        return
    invoices.confirm_adjustments_final(cycle=cycle, by=manager, now=evening)
    for order in invoices.orders_to_invoice(cycle):
        invoices.issue_invoice(order=order, now=evening)
    summary.record("order cycles", created=1, existing=0)


def _place_orders(cycle, households, *, at) -> list[tuple[files.SettledOrder, Order]]:
    offers = {offer.variant.sku: offer.pk for offer in cycle.offers.select_related("variant")}
    slots = list(PickupSlot.objects.filter(cycle_pickup__cycle=cycle).order_by("pk"))
    placed = []
    for index, planned in enumerate(PLAN.orders):
        user = households[planned.household]
        order = services.place_order(
            cycle=cycle,
            items={offers[sku]: quantity for sku, quantity in planned.items.items()},
            email=user.email,
            full_name=user.full_name,
            slot=slots[index % len(slots)],
            user=user,
            notify=False,  # demo households have no mailbox
            # One after the other: the shortage takes from the last orders placed.
            now=at + timedelta(minutes=13 * index),
        )
        placed.append((planned, order))
    return placed


def _pay(order: Order, planned: files.SettledOrder, *, by) -> None:
    owed = counter.owed_today(order)
    if planned.pays == "due":
        amount = owed.today
    elif planned.pays == "order":
        amount = owed.today - owed.debt
    else:
        amount = Decimal(planned.pays)
    if amount > 0:
        counter.record_payment(
            order=order, method=planned.method, amount=amount, by=by, keep_change=True
        )
