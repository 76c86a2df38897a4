"""Credit refunded to the card that paid (orders.billing.refunds): after an adjustment when
the hub says so, or by a manager's button; partial Stripe refunds, made once.

Stripe is the fake of test_stripe_payments (no network); webhooks are signed locally.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from django.db import connection, connections
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from foodhub.hubs.models import Hub
from orders import ledger
from orders.billing import invoices, refunds, weighing
from orders.checkout import services
from orders.checkout.selectors import paid_by_order
from orders.customers import customer_for
from orders.models import BalanceEntry, Order, OrderCycle, OrderLine, Payment, PaymentAnomaly
from orders.models.billing import ADJUSTMENT_KINDS
from orders.money import payments, stripe_api
from tests import bad_input, factories
from tests.orders.test_stripe_payments import (
    FakeStripe,
    NoNetwork,
    _event,
    _post,
    answered_by,
    use_test_keys,
)  # fmt: skip

D = Decimal


class RefundingStripe(FakeStripe):
    """The fake Stripe, which may refuse refunds (``refuse``: the error Stripe gives)."""

    def __init__(self):
        super().__init__()
        self.refuse = None
        self.lock = threading.RLock()  # Stripe answers one idempotency key once

    def request(self, method, url, headers, post_data=None):
        with self.lock:
            return super().request(method, url, headers, post_data)

    def _route(self, method, path, params):
        if path == "/v1/refunds" and method == "post" and self.refuse:
            return {"error": self.refuse}
        return super()._route(method, path, params)


EXPIRED = {
    "type": "invalid_request_error",
    "code": "charge_expired_for_refund",
    "message": "This charge is too old to be refunded.",
}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", NoNetwork())


@pytest.fixture
def fake_stripe(monkeypatch, settings, db):
    use_test_keys(settings)
    yield from answered_by(monkeypatch, RefundingStripe())


@pytest.fixture
def refund_hub(hub):
    hub.accepts_card_payments = True
    hub.money_owed_back = Hub.MoneyOwedBack.REFUND_TO_CARD
    hub.save()
    return hub


@pytest.fixture
def chicken_offer(cycle, producer, category):
    """A farm chicken of about 1.5 kg at 12.00 €/kg."""
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=D("1.5"), sold_by_weight=True,
        price_per_kg=D("12.00"), price=D("1.00"), stock_quantity=20,
    )  # fmt: skip
    return factories.OfferFactory(cycle=cycle, variant=chicken)


def pay_by_card(order, fake_stripe):
    payment, _secret = payments.start_card_payment(order)
    payments.handle_event(
        _event("payment_intent.succeeded", fake_stripe.pay(payment.stripe_payment_intent))
    )
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    return order.payments.get(kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED)


@pytest.fixture
def paid_order(refund_hub, fake_stripe, cycle, slot, chicken_offer, offers, household):
    """Two chickens (about 36.00 €) and carrots (2.40 €), paid 38.40 € by card; closed."""
    order = services.place_order(
        cycle=cycle, items={chicken_offer.pk: 2, offers["carrots"].pk: 1}, slot=slot,
        email=household.email, full_name=household.full_name, user=household,
        payment_method="card", notify=False,
    )  # fmt: skip
    pay_by_card(order, fake_stripe)
    OrderCycle.objects.filter(pk=cycle.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    assert order.total == D("38.40")
    return order


def lighter(order, kg="2.500"):
    """The chickens weighed lighter: 30.00 € instead of 36.00 €, 6.00 € owed back."""
    line = order.lines.get(price_per_kg__isnull=False)
    return weighing.record_weight(line=line, weight=D(kg), by=None, confirmed=True)


def charge_of(order) -> Payment:
    return order.payments.get(kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED)


def assert_books_balance(order=None):
    """Every balance is the sum of its entries, and an order's lines cost its total less
    its adjustments."""
    assert ledger.recount() == []
    if order is not None:
        lines = sum(line.final_total for line in OrderLine.objects.filter(order=order))
        adjustments = BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENT_KINDS).aggregate(
            total=Sum("amount")
        )["total"] or D("0")
        assert lines == order.total - D(adjustments).quantize(D("0.01"))


def run_refund_owed(django_capture_on_commit_callbacks, **cause):
    with django_capture_on_commit_callbacks(execute=True):
        return refunds.refund_owed(**cause)


# After an adjustment, the hub's policy


def test_a_lighter_chicken_is_refunded_to_the_card_partially_and_once(
    paid_order, fake_stripe, django_capture_on_commit_callbacks
):
    lighter(paid_order)
    customer = paid_order.customer
    customer.refresh_from_db()
    assert customer.balance == D("6.00")

    assert run_refund_owed(django_capture_on_commit_callbacks, order=paid_order) == [paid_order.pk]

    [post] = fake_stripe.posts("/v1/refunds")
    charge = charge_of(paid_order)
    assert post["params"]["amount"] == "600"  # partial: 6.00 € of 38.40 €
    assert post["params"]["payment_intent"] == charge.stripe_payment_intent
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert post["headers"]["Idempotency-Key"] == refunds.stripe_key(row)
    assert row.key in post["headers"]["Idempotency-Key"]
    assert (row.customer, row.order, row.amount) == (customer, None, D("6.00"))
    assert (row.status, row.stripe_refund) == (
        Payment.Status.SUCCEEDED,
        next(iter(fake_stripe.refunds)),
    )
    entry = BalanceEntry.objects.get(kind=BalanceEntry.Kind.REFUND)
    assert (entry.amount, entry.payment, entry.order) == (D("-6.00"), row, paid_order)
    customer.refresh_from_db()
    assert customer.balance == 0
    # The order's own money is as agreed: paid in full, nothing due either way.
    assert paid_by_order([paid_order.pk])[paid_order.pk] == D("38.40")
    assert payments.amount_due(paid_order) == 0
    assert_books_balance(paid_order)

    # Asked again (the lead's service called twice, a worker run again): nothing more.
    run_refund_owed(django_capture_on_commit_callbacks, order=paid_order)
    refunds.refund_order(paid_order)
    assert len(fake_stripe.posts("/v1/refunds")) == 1
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1


def _invoiceable(order):
    hub = order.cycle.hub
    hub.legal_name, hub.legal_street, hub.legal_postcode = "SCIC Drive", "1 rue", "59000"
    hub.legal_city, hub.siret, hub.vat_number = "Lille", "73282932000074", "FR44732829320"
    hub.save()
    OrderCycle.objects.filter(pk=order.cycle_id).update(closed_at=timezone.now())
    order.cycle.refresh_from_db()


def test_making_the_cycle_final_refunds_what_its_adjustments_owe_to_the_cards(
    paid_order, fake_stripe, django_capture_on_commit_callbacks
):
    lighter(paid_order)
    _invoiceable(paid_order)
    with django_capture_on_commit_callbacks(execute=True):
        assert invoices.confirm_adjustments_final(cycle=paid_order.cycle)
    [post] = fake_stripe.posts("/v1/refunds")
    assert post["params"]["amount"] == "600"
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert not invoices.confirm_adjustments_final(cycle=paid_order.cycle)  # again
    assert len(fake_stripe.posts("/v1/refunds")) == 1
    assert_books_balance(paid_order)


def test_a_credit_note_is_refunded_to_the_card_too(
    paid_order, fake_stripe, manager, django_capture_on_commit_callbacks
):
    _invoiceable(paid_order)
    with django_capture_on_commit_callbacks(execute=True):
        invoices.confirm_adjustments_final(cycle=paid_order.cycle)
    invoice = paid_order.invoice
    with django_capture_on_commit_callbacks(execute=True):
        invoices.issue_credit_note(
            invoice=invoice, amounts={0: D("2.00")}, reason="Abîmé", by=manager, key="k"
        )
    [post] = fake_stripe.posts("/v1/refunds")
    assert post["params"]["amount"] == "200"
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0
    assert_books_balance(paid_order)


def test_a_hub_keeping_credit_refunds_nothing(
    paid_order, fake_stripe, django_capture_on_commit_callbacks
):
    Hub.objects.filter(pk=paid_order.cycle.hub_id).update(
        money_owed_back=Hub.MoneyOwedBack.KEEP_AS_CREDIT
    )
    lighter(paid_order)

    assert run_refund_owed(django_capture_on_commit_callbacks, cycle=paid_order.cycle) == []
    assert refunds.refund_order(paid_order) == []

    assert fake_stripe.posts("/v1/refunds") == []
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == D("6.00")
    assert_books_balance(paid_order)


def test_an_order_paid_at_pickup_keeps_its_credit(
    refund_hub, fake_stripe, cycle, slot, offers, household, django_capture_on_commit_callbacks
):
    order = services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 1}, slot=slot, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip
    ledger.add_entry(
        customer=order.customer, kind="shortage", amount=D("2.40"), key="t:shortage", order=order
    )

    assert run_refund_owed(django_capture_on_commit_callbacks, cycle=cycle) == []
    assert refunds.refund_order(order) == []
    assert fake_stripe.posts("/v1/refunds") == []


def test_a_heavier_chicken_refunds_nothing(paid_order, fake_stripe):
    lighter(paid_order, kg="3.500")  # 42.00 €: the household owes 6.00 €

    assert refunds.refund_order(paid_order) == []
    assert fake_stripe.posts("/v1/refunds") == []
    assert_books_balance(paid_order)


def test_what_is_refunded_is_never_more_than_the_households_credit(paid_order, fake_stripe):
    lighter(paid_order)
    # Part of the credit is already spent (the lead's checkout uses credit like this).
    ledger.add_entry(
        customer=paid_order.customer, kind="manual", amount=D("-4.50"), key="t:spent",
        reason="Avoir utilisé",
    )  # fmt: skip

    refunds.refund_order(paid_order)

    [post] = fake_stripe.posts("/v1/refunds")
    assert post["params"]["amount"] == "150"
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0
    assert_books_balance(paid_order)


def test_what_is_refunded_is_never_more_than_the_charge_less_its_refunds(paid_order, fake_stripe):
    lighter(paid_order)
    charge = charge_of(paid_order)
    # 35.00 € of the charge were already given back (by the order's own settlement).
    Payment.objects.create(
        order=paid_order, method="card", kind="refund", amount=D("35.00"), status="succeeded",
        stripe_payment_intent=charge.stripe_payment_intent, stripe_refund="re_before",
    )  # fmt: skip

    refunds.refund_order(paid_order)

    [post] = fake_stripe.posts("/v1/refunds")
    assert post["params"]["amount"] == "340"  # 38.40 - 35.00
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == D("2.60")  # the rest stays as credit
    assert_books_balance(paid_order)


def test_a_second_adjustment_is_refunded_its_own_difference(paid_order, fake_stripe):
    lighter(paid_order)
    refunds.refund_order(paid_order)
    lighter(paid_order, kg="2.000")  # weighed again, lighter still: 6.00 € more

    refunds.refund_order(paid_order)

    assert [p["params"]["amount"] for p in fake_stripe.posts("/v1/refunds")] == ["600", "600"]
    keys = {p["headers"]["Idempotency-Key"] for p in fake_stripe.posts("/v1/refunds")}
    assert len(keys) == 2
    assert_books_balance(paid_order)


# Crashes, replays, refusals


def test_a_worker_killed_between_stripe_and_the_commit_refunds_once(
    paid_order, fake_stripe, monkeypatch
):
    lighter(paid_order)

    def killed(row, refund):
        raise SystemExit("the worker is killed")

    with monkeypatch.context() as crash:
        crash.setattr(payments, "record_refund_made", killed)
        with pytest.raises(SystemExit):
            refunds.refund_order(paid_order)
    # Stripe made it; we never wrote it down.
    assert len(fake_stripe.refunds) == 1
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert (row.status, row.stripe_refund) == (Payment.Status.PENDING, "")

    refunds.refund_order(paid_order)  # the worker run again

    first, again = fake_stripe.posts("/v1/refunds")
    assert first["headers"]["Idempotency-Key"] == again["headers"]["Idempotency-Key"]
    assert len(fake_stripe.refunds) == 1  # Stripe answered with the same refund
    row.refresh_from_db()
    assert (row.status, row.stripe_refund) == (
        Payment.Status.SUCCEEDED,
        next(iter(fake_stripe.refunds)),
    )
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0
    assert_books_balance(paid_order)


def test_two_workers_at_once_refund_once(paid_order, fake_stripe):
    lighter(paid_order)
    # While the first asks Stripe, a second run of the same cause comes (two consumers).
    fake_stripe.meanwhile("post", "/v1/refunds", lambda: refunds.refund_order(paid_order))

    refunds.refund_order(paid_order)

    assert len(fake_stripe.refunds) == 1  # the second asked with the same key, or not at all
    assert {p["params"]["amount"] for p in fake_stripe.posts("/v1/refunds")} == {"600"}
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert row.status == Payment.Status.SUCCEEDED
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1
    assert_books_balance(paid_order)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent workers are tested"
)
@pytest.mark.django_db(transaction=True)
def test_workers_refunding_at_the_same_instant_refund_once(paid_order, fake_stripe):
    """Four connections run the refund of one order at once (the lead's service called
    twice, a retried task): one Stripe refund, one entry, and the balance is their sum."""
    lighter(paid_order)
    barrier = threading.Barrier(4)

    def work(_n):
        try:
            barrier.wait(timeout=30)
            refunds.refund_order(Order.objects.get(pk=paid_order.pk))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))

    assert len(fake_stripe.refunds) == 1
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert (row.status, row.amount) == (Payment.Status.SUCCEEDED, D("6.00"))
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0
    assert_books_balance(paid_order)


def test_a_stripe_outage_leaves_the_refund_to_make_and_the_worker_retries(
    paid_order, fake_stripe, monkeypatch
):
    lighter(paid_order)

    class Down(stripe.HTTPClient):
        name = "down"

        def request(self, method, url, headers, post_data=None):
            raise stripe.APIConnectionError("Stripe is down")

    with monkeypatch.context() as down:
        down.setattr(stripe_api, "HTTP_CLIENT", Down())
        with pytest.raises(stripe_api.StripeError):
            refund_owed_back_now(paid_order)
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert row.status == Payment.Status.PENDING  # written: the credit is not spent twice

    refund_owed_back_now(paid_order)

    assert len(fake_stripe.posts("/v1/refunds")) == 1
    row.refresh_from_db()
    assert row.status == Payment.Status.SUCCEEDED
    assert_books_balance(paid_order)


def refund_owed_back_now(order):
    """The worker's task, run here and now (its body, without Huey's retries)."""
    return refunds.refund_owed_back.call_local(order_ids=[order.pk])


def test_a_refund_stripe_refuses_stays_as_credit_and_is_shown_to_the_managers(
    client, manager, paid_order, fake_stripe
):
    lighter(paid_order)
    fake_stripe.refuse = EXPIRED

    [row] = refunds.refund_order(paid_order)

    assert row.status == Payment.Status.FAILED
    assert "too old" in row.failure
    customer = paid_order.customer
    customer.refresh_from_db()
    assert customer.balance == D("6.00")  # the money stays as credit
    amounts = sorted(
        BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).values_list("amount", flat=True)
    )
    assert amounts == [D("-6.00"), D("6.00")]
    assert_books_balance(paid_order)

    # Asked again: not retried (the failure is recorded, the manager decides).
    refunds.refund_order(paid_order)
    assert len(fake_stripe.posts("/v1/refunds")) == 1

    client.force_login(manager)
    html = client.get(reverse("billing:detail", args=[paid_order.cycle.hub.slug, customer.pk]))
    html = html.content.decode()
    assert "refusé par Stripe, gardé en avoir" in html
    assert "too old" in html

    # The household reads it on its own balance page.
    client.force_login(paid_order.user)
    html = client.get(reverse("balance:mine", args=[paid_order.cycle.hub.slug])).content.decode()
    assert "remboursement sur la carte échoué, gardé en avoir" in html


@pytest.mark.parametrize("event_type", ["refund.updated", "refund.failed", "charge.refund.updated"])
def test_a_refund_that_fails_later_by_webhook_gives_the_credit_back_once(
    client, manager, paid_order, fake_stripe, event_type
):
    lighter(paid_order)
    [row] = refunds.refund_order(paid_order)
    refund = dict(fake_stripe.refunds[row.stripe_refund], currency="eur")
    failed = dict(refund, status="failed", failure_reason="expired_or_canceled_card")
    event = _event(event_type, failed)

    assert _post(client, event).status_code == 200
    assert _post(client, event).status_code == 200  # replayed
    assert _post(client, _event(event_type, failed)).status_code == 200  # sent again

    row.refresh_from_db()
    assert (row.status, row.failure) == (Payment.Status.FAILED, "expired_or_canceled_card")
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == D("6.00")
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 2
    assert_books_balance(paid_order)
    client.force_login(manager)
    url = reverse("billing:detail", args=[paid_order.cycle.hub.slug, paid_order.customer.pk])
    assert "la carte a expiré ou a été annulée" in client.get(url).content.decode()


def test_without_stripe_keys_credit_stays_credit(paid_order, fake_stripe, settings, manager):
    lighter(paid_order)
    settings.STRIPE_SECRET_KEY = ""

    assert refunds.refund_order(paid_order) == []
    with pytest.raises(refunds.RefundError, match="Stripe n’est pas configuré"):
        refunds.refund_balance(
            customer=paid_order.customer, amount=D("1.00"), reason="x",
            token=uuid.uuid4().hex, by=manager,
        )  # fmt: skip
    assert not Payment.objects.filter(kind=Payment.Kind.REFUND).exists()
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == D("6.00")


def test_replayed_charge_refunded_webhooks_add_nothing(client, paid_order, fake_stripe):
    lighter(paid_order)
    [row] = refunds.refund_order(paid_order)
    charge = {
        "id": "ch_x", "object": "charge", "currency": "eur",
        "payment_intent": row.stripe_payment_intent,
        "refunds": {"data": [dict(fake_stripe.refunds[row.stripe_refund], currency="eur")]},
    }  # fmt: skip
    event = _event("charge.refunded", charge)

    for sent in (event, event, _event("charge.refunded", charge)):
        assert _post(client, sent).status_code == 200

    assert Payment.objects.filter(kind=Payment.Kind.REFUND).count() == 1
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1
    assert payments.amount_due(paid_order) == 0
    assert_books_balance(paid_order)


def test_a_refund_webhook_before_we_wrote_the_refund_counts_once(client, paid_order, fake_stripe):
    lighter(paid_order)
    charge = charge_of(paid_order)

    def webhook():
        refund = dict(next(iter(fake_stripe.refunds.values())), currency="eur")
        body = {
            "id": "ch_y", "object": "charge", "currency": "eur",
            "payment_intent": charge.stripe_payment_intent, "refunds": {"data": [refund]},
        }  # fmt: skip
        _post(client, _event("charge.refunded", body))

    fake_stripe.meanwhile("post", "/v1/refunds", webhook, when="after")

    refunds.refund_order(paid_order)

    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert (row.status, row.customer) == (Payment.Status.SUCCEEDED, paid_order.customer)
    assert BalanceEntry.objects.filter(kind=BalanceEntry.Kind.REFUND).count() == 1


def test_a_forged_refund_webhook_is_refused(client, paid_order, fake_stripe):
    lighter(paid_order)
    [row] = refunds.refund_order(paid_order)
    failed = dict(fake_stripe.refunds[row.stripe_refund], status="failed", currency="eur")

    response = _post(client, _event("refund.updated", failed), secret="whsec_forged")

    assert response.status_code == 400
    row.refresh_from_db()
    assert row.status == Payment.Status.SUCCEEDED
    paid_order.customer.refresh_from_db()
    assert paid_order.customer.balance == 0


def test_a_refund_webhook_of_another_account_is_kept_as_an_anomaly(client, paid_order, fake_stripe):
    lighter(paid_order)
    [row] = refunds.refund_order(paid_order)
    failed = dict(fake_stripe.refunds[row.stripe_refund], status="failed", currency="eur")

    _post(client, _event("refund.updated", failed, account="acct_someone_else"))

    row.refresh_from_db()
    assert row.status == Payment.Status.SUCCEEDED
    assert PaymentAnomaly.objects.get().problem == PaymentAnomaly.Problem.ACCOUNT


# The managers' button


def refund_url(customer):
    return reverse("billing:refund", args=[customer.hub.slug, customer.pk])


def refund_form(**fields):
    form = {"amount": "4,00", "reason": "Le foyer déménage", "token": uuid.uuid4().hex} | fields
    return {f"refund-{name}": value for name, value in form.items()}


def snapshot():
    return (Payment.objects.count(), BalanceEntry.objects.count())


def test_a_manager_refunds_credit_over_the_charges_newest_first(
    client, manager, paid_order, fake_stripe
):
    lighter(paid_order)  # 6.00 € of credit
    customer = paid_order.customer
    # Then 5.00 € topped up by card: the newest charge.
    top_up = Payment.objects.create(
        customer=customer, method="card", kind="payment", amount=D("5.00"),
        status="succeeded", stripe_payment_intent="pi_topup", key="top-up:test",
    )  # fmt: skip
    ledger.add_entry(
        customer=customer, kind="top_up", amount=D("5.00"), key="top_up:pi_topup", payment=top_up
    )
    client.force_login(manager)
    form = refund_form(amount="8,00")

    response = client.post(refund_url(customer), form, follow=True)

    assert response.status_code == 200
    posts = fake_stripe.posts("/v1/refunds")
    assert [(p["params"]["payment_intent"], p["params"]["amount"]) for p in posts] == [
        ("pi_topup", "500"),
        (charge_of(paid_order).stripe_payment_intent, "300"),
    ]
    html = response.content.decode().replace("\u00a0", " ")
    assert "5,00 € remboursés sur la carte." in html
    assert "3,00 € remboursés sur la carte." in html
    customer.refresh_from_db()
    assert customer.balance == D("3.00")
    entries = BalanceEntry.objects.filter(kind="refund")
    assert {(e.reason, e.by) for e in entries} == {("Le foyer déménage", manager)}
    assert_books_balance(paid_order)

    # The same form sent again (a double tap) refunds nothing more.
    client.post(refund_url(customer), form)
    assert len(fake_stripe.posts("/v1/refunds")) == 2
    customer.refresh_from_db()
    assert customer.balance == D("3.00")


def test_a_refund_larger_than_the_charge_is_refused_and_nothing_written(
    client, manager, paid_order, fake_stripe
):
    lighter(paid_order)
    ledger.add_entry(customer=paid_order.customer, kind="manual", amount=D("50.00"), key="t:gift",
                     reason="Geste commercial")  # fmt: skip
    client.force_login(manager)
    before = snapshot()

    response = client.post(refund_url(paid_order.customer), refund_form(amount="40,00"))

    assert response.status_code == 400
    html = response.content.decode().replace("\u00a0", " ")
    assert "Seulement 38,40 € ont été payés par carte et pas encore remboursés" in html
    assert snapshot() == before
    assert fake_stripe.posts("/v1/refunds") == []


def test_a_refund_larger_than_the_credit_is_refused(client, manager, paid_order, fake_stripe):
    lighter(paid_order)
    client.force_login(manager)
    before = snapshot()

    response = client.post(refund_url(paid_order.customer), refund_form(amount="6,01"))

    assert response.status_code == 400
    assert "L’avoir du foyer est de 6,00 €" in response.content.decode().replace("\u00a0", " ")
    assert snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [{"reason": ""}, {"amount": "0"}, {"amount": "-5"}, {"amount": "abc"}, {"amount": "1e9"},
     {"amount": "NaN"}, {"token": "not-a-token"}],
)  # fmt: skip
def test_bad_refund_forms_are_refused_in_french(client, manager, paid_order, fake_stripe, fields):
    lighter(paid_order)
    client.force_login(manager)
    before = snapshot()

    response = client.post(refund_url(paid_order.customer), refund_form(**fields))

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert snapshot() == before
    assert fake_stripe.posts("/v1/refunds") == []


@pytest.mark.parametrize("value", bad_input.NUMERIC)
def test_bad_numbers_of_the_corpus_are_refused(client, manager, paid_order, fake_stripe, value):
    lighter(paid_order)
    client.force_login(manager)
    before = snapshot()

    response = client.post(refund_url(paid_order.customer), refund_form(amount=value))

    assert response.status_code == 400, value
    assert snapshot() == before
    assert fake_stripe.posts("/v1/refunds") == []


def test_who_may_refund(client, paid_order, fake_stripe, other_hub_manager, household):
    lighter(paid_order)
    customer = paid_order.customer
    volunteer = factories.PickupPointMembershipFactory(
        pickup_point=paid_order.cycle_pickup.pickup_point
    ).user
    before = snapshot()

    assert client.post(refund_url(customer), refund_form()).status_code == 302  # to log in
    for person in (other_hub_manager, household, volunteer):
        client.force_login(person)
        assert client.post(refund_url(customer), refund_form()).status_code == 404
    assert snapshot() == before

    # The service itself refuses a volunteer, with a clear message.
    with pytest.raises(refunds.RefundError, match="Seuls les gestionnaires du drive"):
        refunds.refund_balance(
            customer=customer, amount=D("1.00"), reason="x", token=uuid.uuid4().hex, by=volunteer
        )
    assert snapshot() == before


def test_another_hubs_customer_is_not_found(client, manager, paid_order, fake_stripe):
    other = factories.HubFactory(slug="tourcoing")
    stranger = customer_for(hub_id=other.pk, email="loin@example.org", full_name="Loin")
    client.force_login(manager)

    url = reverse("billing:refund", args=[paid_order.cycle.hub.slug, stranger.pk])
    assert client.post(url, refund_form()).status_code == 404


def test_the_balance_page_offers_the_refund_with_bounded_queries(
    client, manager, paid_order, fake_stripe, django_assert_max_num_queries
):
    lighter(paid_order)
    refunds.refund_order(paid_order)
    client.force_login(manager)
    url = reverse("billing:detail", args=[paid_order.cycle.hub.slug, paid_order.customer.pk])

    with django_assert_max_num_queries(20):
        response = client.get(url)

    html = response.content.decode()
    assert "Rembourser sur la carte" in html
    assert "remboursé" in html


def test_the_hub_chooses_its_policy_in_its_settings(client, manager, hub):
    client.force_login(manager)
    html = client.get(reverse("hubs:settings", args=[hub.slug])).content.decode()
    assert 'name="money_owed_back"' in html
    assert "le rembourser sur la carte qui a payé la commande" in html
    data = {"name": hub.name, "order_prefix": "LIL", "money_owed_back": "refund_to_card"}

    assert client.post(reverse("hubs:settings", args=[hub.slug]), data).status_code == 302
    hub.refresh_from_db()
    assert hub.money_owed_back == Hub.MoneyOwedBack.REFUND_TO_CARD
    refused = client.post(
        reverse("hubs:settings", args=[hub.slug]), data | {"money_owed_back": "x"}
    )
    assert refused.status_code == 400
    assert "Sélectionnez un choix valide" in refused.content.decode()


def test_a_manager_refunds_later_when_stripe_is_down(
    client, manager, paid_order, fake_stripe, monkeypatch
):
    lighter(paid_order)

    class Down(stripe.HTTPClient):
        name = "down"

        def request(self, method, url, headers, post_data=None):
            raise stripe.APIConnectionError("Stripe is down")

    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", Down())
    monkeypatch.setattr(refunds, "make_refunds_later", lambda customer: queued.append(customer))
    queued = []
    client.force_login(manager)

    response = client.post(refund_url(paid_order.customer), refund_form(), follow=True)

    assert "Stripe est injoignable" in response.content.decode()
    assert queued == [paid_order.customer]
    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert (row.status, row.amount) == (Payment.Status.PENDING, D("4.00"))
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake_stripe)
    refunds.make_refunds_task.call_local(customer_id=paid_order.customer.pk)
    row.refresh_from_db()
    assert row.status == Payment.Status.SUCCEEDED
    assert_books_balance(paid_order)
