"""Every euro accounted for (orders.billing.reconciliation): a week worked through by hand,
random weeks driven by hypothesis, and the managers' report pages."""

import contextlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from foodhub.hubs.models import Hub
from orders import ledger
from orders.allocations import services as allocations
from orders.billing import (
    corrections,
    counter,
    invoices,
    reconciliation,
    refunds,
    shortages,
    weighing,
)  # fmt: skip
from orders.billing import top_ups as top_ups_
from orders.checkout import services
from orders.models import (
    AllocationProgramme,
    AllocationPurse,
    BalanceEntry,
    CreditNote,
    Customer,
    EligibleProduct,
    Invoice,
    Offer,
    Order,
    OrderCycle,
    OrderLine,
    Payment,
    SolidaritySettings,
)  # fmt: skip
from orders.models.allocations import PurseMovement
from orders.models.billing import ADJUSTMENT_KINDS
from orders.money import payments, stripe_api
from orders.solidarity import services as solidarity
from orders.stock import OrderError
from producers.models import Variant
from tests import factories
from tests.orders.test_refunds import RefundingStripe
from tests.orders.test_stripe_payments import _event
from tests.orders.test_top_ups import TopUpStripe

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def chicken_offer(cycle, producer, category):
    """A farm chicken of about 1.5 kg at 12.00 €/kg."""
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=D("1.5"), sold_by_weight=True,
        price_per_kg=D("12.00"), price=D("1.00"), stock_quantity=40,
    )  # fmt: skip
    return factories.OfferFactory(cycle=cycle, variant=chicken)


@pytest.fixture
def households(hub):
    """Four households with an account; the first two have credit with the hub."""
    made = []
    for n, credit in enumerate(["6.00", "2.50", "0", "0"]):
        user = factories.UserFactory(email=f"foyer{n}@example.org", full_name=f"Foyer {n}")
        customer = Customer.objects.create(
            hub=hub, user=user, email=user.email, full_name=user.full_name
        )
        if D(credit):
            ledger.add_entry(
                customer=customer, kind="manual", amount=D(credit), key=f"seed:{n}", reason="cahier"
            )
        made.append(user)
    return made


def close(cycle):
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    cycle.refresh_from_db()


def check_everything_adds_up(cycle):
    report = reconciliation.for_cycle(cycle)
    assert report.difference == 0, report
    assert report.fund_difference == 0, report
    assert ledger.recount() == []
    for order in Order.objects.filter(cycle=cycle).exclude(status=Order.Status.CANCELLED):
        adjustments = BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENT_KINDS)
        adjusted = adjustments.aggregate(sum=Sum("amount"))["sum"] or 0
        lines = sum((line.final_total for line in order.lines.all()), D("0"))
        assert lines + order.fee_total == order.total - D(adjusted).quantize(D("0.01"))
        # The solidarity fund holds what the order's tier moved, no more, no less.
        moved = sum((solidarity.line_fund(line) for line in order.lines.all()), D("0"))
        assert solidarity.recorded(order) == moved
    for order in Order.objects.filter(cycle=cycle, status=Order.Status.CANCELLED):
        assert solidarity.recorded(order) == 0
    assert not Offer.objects.filter(stock_cap__lt=0).exists()
    assert not Variant.objects.filter(stock_quantity__lt=0).exists()
    check_food_aid(cycle)
    return report


def check_food_aid(cycle):
    """Each purse holds the sum of its movements, never less than nothing; restricted aid
    pays no more of an order than its eligible lines; the hub's accounts over the week
    count the aid as the funders' money."""
    for purse in AllocationPurse.objects.annotate(moved=Sum("movements__amount")):
        assert purse.left == D(purse.moved or 0).quantize(D("0.01")) >= 0
    for order in Order.objects.filter(cycle=cycle):
        spent = PurseMovement.objects.filter(
            entry__order=order, purse__programme__eligible_only=True
        ).aggregate(sum=Sum("amount"))["sum"]
        assert -D(spent or 0).quantize(D("0.01")) <= ledger._eligible_amount(order)
    week = reconciliation.for_period(
        cycle.hub, timezone.now() - timedelta(days=5), timezone.now() + timedelta(days=1)
    )
    assert week.difference == 0, week
    assert week.funded == sum(
        (e.amount for e in BalanceEntry.objects.filter(kind="allocation")), D("0")
    )


# A week by hand


def test_a_week_of_weights_cash_and_credit_adds_up(cycle, slot, offers, chicken_offer, households):
    cycle.fee_fixed = D("0.50")
    cycle.save()
    alice, bob, chloe, _ = households
    # Alice (6.00 € of credit): a chicken and a loaf, 18.00 + 4.80 + 0.50 of fee.
    a = services.place_order(
        cycle=cycle, slot=slot, items={chicken_offer.pk: 1, offers["bread"].pk: 1},
        email=alice.email, full_name="Foyer 0", user=alice, notify=False,
    )  # fmt: skip
    # Bob (2.50 € of credit): carrots, 2.40 + 0.50: his credit pays it.
    services.place_order(
        cycle=cycle, slot=slot, items={offers["carrots"].pk: 1}, email=bob.email,
        full_name="Foyer 1", user=bob, notify=False,
    )  # fmt: skip
    # Chloé: two loaves, then cancels.
    c = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 2}, email=chloe.email,
        full_name="Foyer 2", user=chloe, notify=False,
    )  # fmt: skip
    services.cancel_order(order=c)
    close(cycle)
    # Alice's chicken weighs 1.74 kg: 20.88 €, 2.88 € more than the estimate.
    weighing.record_weight(line=a.lines.get(price_per_kg__isnull=False), weight=D("1.74"), by=None)
    # At the pickup point she owes 23.30 − 6.00 of credit + 2.88 = 20.18 €, pays 21 € and
    # keeps the change.
    assert counter.owed_today(a).today == D("20.18")
    counter.record_payment(order=a, method="cash", amount="21", by=None, keep_change=True)

    report = check_everything_adds_up(cycle)
    assert report.orders == 2
    assert report.sold == D("20.88") + D("4.80") + D("0.50") + D("2.40") + D("0.50")
    assert report.received == {"cash": D("21.00")}
    # Bob's 2.50 € of credit leave 0.40 € of his 2.90 € to pay at the pickup point.
    assert (report.to_collect, report.to_give_back) == (D("0.40"), 0)
    assert report.balances == {
        "weight": D("-2.88"),
        "credit_used": D("-8.50"),  # Alice's 6.00, Bob's 2.50
        "settled": D("2.88"),
        "overpayment": D("0.82"),
    }


# Random weeks

HOUSEHOLDS = 4
OFFERS = ("bread", "carrots", "apples", "chicken")
money = st.decimals(min_value=D("0.01"), max_value=D("60"), places=2)
basket = st.dictionaries(st.sampled_from(OFFERS), st.integers(0, 3), min_size=1, max_size=4)
# Each household's first basket: something in it, often a chicken to weigh.
first_basket = st.fixed_dictionaries(
    {"chicken": st.integers(0, 2)},
    optional={
        "bread": st.integers(1, 3),
        "carrots": st.integers(1, 2),
        "apples": st.integers(1, 2),
    },
).filter(any)
before_close = st.one_of(
    st.tuples(st.just("order"), st.integers(0, HOUSEHOLDS - 1), basket, st.booleans()),
    st.tuples(st.just("update"), st.integers(0, HOUSEHOLDS - 1), basket),
    st.tuples(st.just("cancel"), st.integers(0, HOUSEHOLDS - 1)),
    st.tuples(st.just("manual"), st.integers(0, HOUSEHOLDS - 1), money, st.booleans()),
    st.tuples(st.just("allocate"), st.integers(0, HOUSEHOLDS - 1), st.booleans()),
)
after_close = st.one_of(
    st.tuples(st.just("weigh"), st.integers(0, 20),
              st.decimals(min_value=D("0.3"), max_value=D("5"), places=3)),
    st.tuples(st.just("pay"), st.integers(0, HOUSEHOLDS - 1), money,
              st.sampled_from(["cash", "cheque", "transfer"]), st.booleans()),
    st.tuples(st.just("pay_with_credit"), st.integers(0, HOUSEHOLDS - 1)),
    st.tuples(st.just("cancel_payment"), st.integers(0, 20)),
    st.tuples(st.just("manual"), st.integers(0, HOUSEHOLDS - 1), money, st.booleans()),
    st.tuples(st.just("shortage"), st.sampled_from(OFFERS), st.integers(0, 8),
              st.sampled_from(["last_first", "proportional"])),
    st.tuples(st.just("correct"), st.integers(0, 20), st.integers(0, 3)),
    st.tuples(st.just("allocate"), st.integers(0, HOUSEHOLDS - 1), st.booleans()),
)  # fmt: skip
# Solidarity prices: each household's tier, and the hub's percentages.
household_tiers = st.lists(
    st.sampled_from(["lower", "middle", "upper"]), min_size=HOUSEHOLDS, max_size=HOUSEHOLDS
)
percents = st.tuples(st.integers(10, 99), st.integers(101, 300))


def _solidarity_prices(hub, percents):
    SolidaritySettings.objects.update_or_create(
        hub=hub,
        defaults={"enabled": True, "lower_percent": percents[0], "upper_percent": percents[1]},
    )


@examples(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(
        st.tuples(first_basket, st.booleans()), min_size=HOUSEHOLDS, max_size=HOUSEHOLDS
    ),
    week=st.lists(before_close, max_size=8),
    after=st.lists(after_close, min_size=1, max_size=14),
    tiers=household_tiers,
    percents=percents,
)
def test_any_week_adds_up(
    cycle, slot, offers, chicken_offer, households, first, week, after, tiers, percents
):
    offer_of = {**offers, "chicken": chicken_offer}
    with transaction.atomic():
        cycle.fee_percent, cycle.fee_fixed = D("5"), D("0.30")
        cycle.save()
        _solidarity_prices(cycle.hub, percents)
        for n, (items, logged_in) in enumerate(first):
            _run(("order", n, {k: v for k, v in items.items() if v}, logged_in), cycle, slot,
                 offer_of, households, tiers)  # fmt: skip
        for step in week:
            _run(step, cycle, slot, offer_of, households, tiers)
        close(cycle)
        for step in after:
            _run(step, cycle, slot, offer_of, households)
        check_everything_adds_up(cycle)
        transaction.set_rollback(True)
    cycle.refresh_from_db()


def _order_of(cycle, user) -> Order | None:
    return Order.objects.filter(cycle=cycle, user=user).exclude(status="cancelled").first()


def _run(step, cycle, slot, offer_of, households, tiers=None):
    kind, *args = step
    try:
        with transaction.atomic():
            if kind == "order":
                n, items, logged_in = args
                user = households[n]
                services.place_order(
                    cycle=cycle, slot=slot, email=user.email, full_name=user.full_name,
                    items={offer_of[name].pk: qty for name, qty in items.items()},
                    user=user if logged_in else None, notify=False,
                    price_tier=tiers[n] if tiers else None,
                )  # fmt: skip
            elif kind == "update" and (order := _order_of(cycle, households[args[0]])):
                items = {offer_of[name].pk: qty for name, qty in args[1].items()}
                services.update_order(order=order, items=items)
            elif kind == "cancel" and (order := _order_of(cycle, households[args[0]])):
                services.cancel_order(order=order)
            elif kind == "manual":
                n, amount, credit = args
                customer = Customer.objects.get(user=households[n])
                ledger.add_entry(
                    customer=customer, kind="manual", amount=amount if credit else -amount,
                    key=f"manual:{BalanceEntry.objects.count()}", reason="test",
                )  # fmt: skip
            elif kind == "allocate":
                _allocate(cycle, offer_of, Customer.objects.get(user=households[args[0]]),
                          restricted=args[1])  # fmt: skip
            elif kind == "weigh":
                lines = list(
                    OrderLine.objects.filter(order__cycle=cycle, price_per_kg__isnull=False)
                )
                if lines:
                    line = lines[args[0] % len(lines)]
                    weighing.record_weight(line=line, weight=args[1], by=None, confirmed=True)
            elif kind == "pay" and (order := _order_of(cycle, households[args[0]])):
                amount, method, keep = args[1:]
                counter.record_payment(
                    order=order, method=method, amount=amount, by=None, keep_change=keep
                )
            elif kind == "pay_with_credit" and (order := _order_of(cycle, households[args[0]])):
                counter.pay_with_credit(order=order, by=None)
            elif kind == "shortage":
                name, delivered, strategy = args
                shortage = shortages.record_shortage(
                    cycle=cycle, offer=offer_of[name], delivered=delivered, strategy=strategy,
                    by=None,
                )  # fmt: skip
                shortages.apply_shortage(shortage=shortage, by=None)
            elif kind == "correct":
                lines = list(OrderLine.objects.filter(order__cycle=cycle).order_by("pk"))
                if lines:
                    line = lines[args[0] % len(lines)]
                    delivered = min(args[1], line.quantity)
                    corrections.correct_line(line=line, delivered=delivered, reason="x", by=None)
            elif kind == "cancel_payment":
                payments = list(Payment.objects.filter(order__cycle=cycle).order_by("pk"))
                if payments:
                    counter.cancel_payment(payment=payments[args[0] % len(payments)], by=None)
    except OrderError:
        pass  # refused, with nothing written (the invariants say so)


def _allocate(cycle, offer_of, customer, *, restricted):
    """A month of food aid for ``customer`` (the next month it was not credited yet), in
    the hub's restricted programme (carrots and chickens eligible) or its open one."""
    programme = AllocationProgramme.objects.filter(hub=cycle.hub, eligible_only=restricted).first()
    if programme is None:
        month = allocations.this_month()
        programme = allocations.create_programme(
            hub=cycle.hub, name="Caisse", funder="Ville", monthly_amount=D("7.50"),
            first_month=month, last_month=month.replace(year=month.year + 5),
            eligible_only=restricted, by=None,
        )  # fmt: skip
        for name in ("carrots", "chicken"):
            EligibleProduct.objects.get_or_create(
                hub=cycle.hub, product=offer_of[name].variant.product
            )
    allocations.enrol(programme=programme, customer=customer, by=None)
    done = BalanceEntry.objects.filter(
        kind="allocation", key__startswith=f"allocation:{programme.pk}:{customer.pk}:"
    ).count()
    month = allocations.this_month()
    month = date(month.year + (month.month - 1 + done) // 12, (month.month - 1 + done) % 12 + 1, 1)
    allocations.credit_month(programme=programme, month=month)


# The pages


def test_the_cycle_report_is_for_the_hubs_managers_only(
    client, hub, cycle, manager, other_hub_manager, household
):
    url = reverse("billing:cycle_report", args=[hub.slug, cycle.pk])
    assert client.get(url).status_code == 302
    client.force_login(household)
    assert client.get(url).status_code == 404
    client.force_login(other_hub_manager)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    page = client.get(url)
    assert page.status_code == 200 and "Chaque euro est justifié" in page.content.decode()


def test_the_period_report_refuses_a_bad_period_clearly(client, hub, manager):
    client.force_login(manager)
    url = reverse("billing:period_report", args=[hub.slug])
    assert client.get(url).status_code == 200
    for start, end, message in [
        ("2026-12-07", "2026-12-01", "se termine avant"),
        ("2020-01-01", "2026-12-01", "au plus un an"),
        ("2026-02-30", "2026-03-01", "date valide"),
        ("٢٠٢٦-١٢-٠١", "2026-12-07", "date valide"),
        ("2026-12-01\x00", "2026-12-07", "caractère NUL"),
    ]:
        response = client.get(url, {"start": start, "end": end})
        assert response.status_code == 400 and message in response.content.decode(), start


def test_the_period_report_counts_the_cycles_that_closed_in_it(
    client, hub, cycle, slot, offers, manager
):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email="a@example.org",
        full_name="A", notify=False,
    )  # fmt: skip
    close(cycle)
    counter.record_payment(order=order, method="cash", amount="4.80", by=None)
    day = timezone.localdate(cycle.closes_at)
    client.force_login(manager)
    url = reverse("billing:period_report", args=[hub.slug])
    report = client.get(url, {"start": day, "end": day}).context["report"]
    assert (report.sold, report.received, report.difference) == (D("4.80"), {"cash": D("4.80")}, 0)
    before = day - timedelta(days=3)
    empty = client.get(url, {"start": before, "end": before}).context["report"]
    assert empty.sold == 0 and empty.received == {}


# Random weeks with cards: card orders, top-ups, refunds to the card, invoices, credit notes


class CardStripe(TopUpStripe, RefundingStripe):
    """The fake Stripe making orders' and top-ups' PaymentIntents and refunds."""


@pytest.fixture
def stripe_keys(settings):
    """Set once for all the examples (each setting changed adds a layer of settings)."""
    settings.STRIPE_SECRET_KEY, settings.STRIPE_PUBLISHABLE_KEY = "sk_test_x", "pk_test_x"


after_final = st.one_of(
    st.tuples(st.just("credit_note"), st.integers(0, 20), money),
    st.tuples(st.just("refund_balance"), st.integers(0, HOUSEHOLDS - 1), money),
    st.tuples(st.just("weigh"), st.integers(0, 20),
              st.decimals(min_value=D("0.3"), max_value=D("5"), places=3)),
    st.tuples(st.just("correct"), st.integers(0, 20), st.integers(0, 3)),
)  # fmt: skip


@examples(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(
        st.tuples(first_basket, st.booleans()), min_size=HOUSEHOLDS, max_size=HOUSEHOLDS
    ),
    top_ups=st.lists(st.tuples(st.integers(0, HOUSEHOLDS - 1), money), max_size=3),
    after=st.lists(after_close, max_size=8),
    final=st.lists(after_final, max_size=5),
    refund_to_card=st.booleans(),
    tiers=household_tiers,
    percents=percents,
)
def test_any_week_with_cards_adds_up(
    monkeypatch, stripe_keys, hub, cycle, slot, offers, chicken_offer, households, manager,
    first, top_ups, after, final, refund_to_card, tiers, percents,
):  # fmt: skip
    offer_of = {**offers, "chicken": chicken_offer}
    with transaction.atomic():
        fake = CardStripe()
        monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
        Hub.objects.filter(pk=hub.pk).update(
            accepts_card_payments=True, legal_name="SCIC Drive", legal_street="1 rue",
            legal_postcode="59000", legal_city="Lille", siret="73282932000074",
            vat_number="FR44732829320",
            money_owed_back="refund_to_card" if refund_to_card else "keep_as_credit",
        )  # fmt: skip
        cycle.refresh_from_db()
        _solidarity_prices(hub, percents)
        for n, (items, by_card) in enumerate(first):
            user = households[n]
            try:
                order = services.place_order(
                    cycle=cycle, slot=slot, email=user.email, full_name=user.full_name,
                    user=user, items={offer_of[k].pk: v for k, v in items.items() if v},
                    notify=False, payment_method="card" if by_card else "at_pickup",
                    price_tier=tiers[n],
                )  # fmt: skip
            except OrderError:
                continue  # sold out
            if order.status == Order.Status.AWAITING_PAYMENT:
                payment = payments.start_card_payment(order).payment
                paid = fake.pay(payment.stripe_payment_intent)
                payments.handle_event(_event("payment_intent.succeeded", paid))
        for i, (n, amount) in enumerate(top_ups):
            customer = Customer.objects.get(user=households[n])
            amount = max(amount, D("5"))
            started = top_ups_.start_top_up(customer=customer, amount=amount, token=f"t{i}")
            intent = fake.pay(started.payment.stripe_payment_intent)
            payments.handle_event(_event("payment_intent.succeeded", intent))
        close(cycle)
        OrderCycle.objects.filter(pk=cycle.pk).update(closed_at=timezone.now())
        cycle.refresh_from_db()
        for step in after:
            _run(step, cycle, slot, offer_of, households)

        invoices.confirm_adjustments_final(cycle=cycle)
        for order in Order.objects.filter(cycle=cycle, status=Order.Status.PLACED):
            refunds.refund_order(order)  # what the worker does after the commit
            with contextlib.suppress(invoices.InvoiceError):  # nothing of it was delivered
                invoices.issue_invoice(order=order)
        for kind, *args in final:
            try:
                if kind == "credit_note":
                    found = list(Invoice.objects.filter(cycle=cycle).order_by("pk"))
                    if found:
                        invoice = found[args[0] % len(found)]
                        left = invoices.credit_left(invoice)
                        amounts = {i: min(args[1], x) for i, x in enumerate(left) if x > 0}
                        invoices.issue_credit_note(
                            invoice=invoice, amounts=dict(list(amounts.items())[:1]),
                            reason="abîmé", by=manager, key=f"cn{Invoice.objects.count()}",
                        )  # fmt: skip
                        refunds.refund_order(invoice.order)
                elif kind == "refund_balance":
                    customer = Customer.objects.get(user=households[args[0]])
                    refunds.refund_balance(
                        customer=customer, amount=args[1], reason="départ",
                        token=f"r{Payment.objects.count()}", by=manager,
                    )  # fmt: skip
                    refunds.make_refunds(customer)
                else:
                    before = BalanceEntry.objects.count()
                    _run((kind, *args), cycle, slot, offer_of, households)
                    # Adjustments are final: a weight or a correction is refused.
                    assert BalanceEntry.objects.count() == before
            except OrderError:
                pass
        report = check_everything_adds_up(cycle)
        assert report.invoiced == sum(
            (i.total_incl_vat for i in Invoice.objects.filter(cycle=cycle)), D("0")
        )
        for invoice in Invoice.objects.filter(cycle=cycle).select_related("order"):
            lines = sum((line.final_total for line in invoice.order.lines.all()), D("0"))
            assert invoice.total_incl_vat == lines + invoice.order.fee_total
        for kind_model in (Invoice, CreditNote):
            positions = sorted(kind_model.objects.values_list("position", flat=True))
            assert positions == list(range(1, len(positions) + 1))  # no gap
        for intent in fake.intents.values():
            refunded = sum(
                r["amount"] for r in fake.refunds.values() if r["payment_intent"] == intent["id"]
            )
            assert refunded <= intent.get("amount_received", 0)
        assert not Payment.objects.filter(amount__lte=0).exists()
        transaction.set_rollback(True)
