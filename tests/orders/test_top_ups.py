"""Credit topped up by card (orders.billing.top_ups) and the household's balance page.

Stripe is the fake of test_stripe_payments (no network); webhooks are signed locally.
"""

import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from orders import ledger
from orders.billing import top_ups
from orders.checkout import services
from orders.checkout.selectors import paid_by_order
from orders.customers import customer_for
from orders.models import BalanceEntry, Payment, PaymentAnomaly
from orders.money import stripe_api
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


class TopUpStripe(FakeStripe):
    """The fake Stripe, making top-ups' PaymentIntents too (their metadata differs)."""

    def _route(self, method, path, params):
        if path == "/v1/payment_intents" and method == "post" and "metadata[purpose]" in params:
            params = {**params, "metadata[order_number]": ""}
            intent = super()._route(method, path, params)
            intent["metadata"] = {
                "purpose": params["metadata[purpose]"],
                "customer": params["metadata[customer]"],
            }
            return intent
        return super()._route(method, path, params)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", NoNetwork())


@pytest.fixture
def fake_stripe(monkeypatch, settings, db):
    use_test_keys(settings)
    yield from answered_by(monkeypatch, TopUpStripe())


@pytest.fixture
def card_hub(hub):
    hub.accepts_card_payments = True
    hub.save()
    return hub


@pytest.fixture
def order(card_hub, cycle, slot, offers, household):
    """The household's order, paid at pickup: it is the hub's customer."""
    return services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 1}, slot=slot, email=household.email,
        full_name=household.full_name, user=household, notify=False,
    )  # fmt: skip


@pytest.fixture
def customer(order):
    return order.customer


def page(hub):
    return reverse("balance:mine", args=[hub.slug])


def top_up_form(**fields):
    return {"amount": "20,00", "token": uuid.uuid4().hex} | fields


def started(client, household, hub, fake_stripe, **fields) -> Payment:
    client.force_login(household)
    response = client.post(page(hub), top_up_form(**fields))
    assert response.status_code == 200
    payment = Payment.objects.get(kind=Payment.Kind.PAYMENT, order=None)
    intent = fake_stripe.intents[payment.stripe_payment_intent]
    assert intent["client_secret"] in response.content.decode()
    return payment


def succeeded(client, fake_stripe, payment, event_id=None, **changes):
    intent = dict(fake_stripe.pay(payment.stripe_payment_intent), **changes)
    return _post(client, _event("payment_intent.succeeded", intent, event_id))


def assert_balance_is_its_entries(customer):
    assert ledger.recount() == []
    customer.refresh_from_db()
    return customer.balance


# Starting a top-up


def test_a_top_up_creates_a_payment_intent_for_the_amount(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)

    [create] = fake_stripe.posts("/v1/payment_intents")
    assert create["params"]["amount"] == "2000"
    assert create["params"]["currency"] == "eur"
    assert create["params"]["metadata[purpose]"] == "top_up"
    assert create["params"]["metadata[customer]"] == str(customer.pk)
    assert create["headers"]["Idempotency-Key"].startswith(f"foodhub-top-up-{customer.pk}-")
    assert (payment.customer, payment.order, payment.amount) == (customer, None, D("20.00"))
    assert payment.status == Payment.Status.PENDING
    assert assert_balance_is_its_entries(customer) == 0  # nothing until Stripe confirms


def test_the_same_form_sent_twice_makes_one_payment_intent(
    client, household, card_hub, customer, fake_stripe
):
    client.force_login(household)
    form = top_up_form()
    client.post(page(card_hub), form)
    client.post(page(card_hub), form)

    assert len(fake_stripe.intents) == 1
    assert Payment.objects.filter(order=None).count() == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("4,99", "supérieure ou égale à 5"),
        ("500,01", "inférieure ou égale à 500"),
        ("0", "supérieure ou égale à 5"),
        ("-20", "supérieure ou égale à 5"),
        ("abc", "nombre"),
        ("", "obligatoire"),
        ("20,001", "2 chiffres"),
    ],
)
def test_a_top_up_out_of_bounds_or_not_a_number_is_refused_in_french(
    client, household, card_hub, customer, fake_stripe, amount, message
):
    client.force_login(household)

    response = client.post(page(card_hub), top_up_form(amount=amount))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert fake_stripe.requests == []
    assert not Payment.objects.filter(order=None).exists()


@pytest.mark.parametrize("value", bad_input.NUMERIC)
def test_bad_numbers_of_the_corpus_are_refused(
    client, household, card_hub, customer, fake_stripe, value
):
    client.force_login(household)
    response = client.post(page(card_hub), top_up_form(amount=value))
    assert response.status_code == 400, value
    assert fake_stripe.requests == []
    assert not Payment.objects.exists()


@pytest.mark.parametrize("value", bad_input.SAMPLE)
def test_bad_values_of_the_corpus_are_refused(
    client, household, card_hub, customer, fake_stripe, value
):
    client.force_login(household)
    for field in ("amount", "token"):
        response = client.post(page(card_hub), top_up_form(**{field: value}))
        assert response.status_code == 400, (field, value)
    assert fake_stripe.requests == []


def test_the_service_checks_the_bounds_too(card_hub, customer, fake_stripe):
    for amount in (D("4.99"), D("500.01"), D("NaN"), D("1.001")):
        with pytest.raises(top_ups.TopUpError):
            top_ups.start_top_up(customer=customer, amount=amount, token=uuid.uuid4().hex)
    with pytest.raises(top_ups.TopUpError, match="entre 5,00 € et 500,00 €"):
        top_ups.start_top_up(customer=customer, amount=D("1000"), token=uuid.uuid4().hex)
    assert fake_stripe.requests == []


def test_a_hub_without_card_payments_offers_no_top_up(client, household, hub, order, settings):
    settings.STRIPE_SECRET_KEY = ""
    client.force_login(household)

    response = client.get(page(hub))

    assert response.status_code == 200
    assert 'name="amount"' not in response.content.decode()
    assert client.post(page(hub), top_up_form()).status_code == 404


# Stripe's webhook


def test_a_succeeded_top_up_adds_credit_once_even_replayed(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)

    assert succeeded(client, fake_stripe, payment, event_id="evt_1").status_code == 200
    assert succeeded(client, fake_stripe, payment, event_id="evt_1").status_code == 200  # replay
    assert succeeded(client, fake_stripe, payment, event_id="evt_2").status_code == 200  # again

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    [entry] = BalanceEntry.objects.filter(kind=BalanceEntry.Kind.TOP_UP)
    assert (entry.amount, entry.payment, entry.key) == (
        D("20.00"),
        payment,
        f"top_up:{payment.stripe_payment_intent}",
    )
    assert assert_balance_is_its_entries(customer) == D("20.00")


def test_a_top_up_is_not_counted_as_paid_for_any_order(
    client, household, card_hub, customer, order, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    succeeded(client, fake_stripe, payment)

    assert paid_by_order([order.pk]) == {}
    assert services.paid_amount(order) == 0


def test_a_forged_top_up_webhook_changes_nothing(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    intent = fake_stripe.pay(payment.stripe_payment_intent)

    response = _post(client, _event("payment_intent.succeeded", intent), secret="whsec_forged")

    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert assert_balance_is_its_entries(customer) == 0


@pytest.mark.parametrize(
    ("changes", "account", "problem"),
    [
        ({"amount_received": 200000, "amount": 200000}, None, PaymentAnomaly.Problem.AMOUNT),
        ({"currency": "usd"}, None, PaymentAnomaly.Problem.CURRENCY),
        ({}, "acct_someone_else", PaymentAnomaly.Problem.ACCOUNT),
    ],
)
def test_a_top_up_that_does_not_match_is_kept_as_an_anomaly(
    client, household, card_hub, customer, fake_stripe, changes, account, problem
):
    payment = started(client, household, card_hub, fake_stripe)
    intent = dict(fake_stripe.pay(payment.stripe_payment_intent), **changes)

    _post(client, _event("payment_intent.succeeded", intent, account=account))

    anomaly = PaymentAnomaly.objects.get()
    assert (anomaly.problem, anomaly.hub, anomaly.order) == (problem, card_hub, None)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert assert_balance_is_its_entries(customer) == 0


def test_a_top_up_whose_row_a_crash_lost_is_found_by_its_metadata(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    Payment.objects.filter(pk=payment.pk).delete()  # as if we crashed before writing it

    succeeded(client, fake_stripe, payment)

    row = Payment.objects.get(order=None)
    assert (row.customer, row.status, row.amount) == (customer, "succeeded", D("20.00"))
    assert assert_balance_is_its_entries(customer) == D("20.00")


def test_a_failed_top_up_is_recorded_and_adds_nothing(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    intent = dict(
        fake_stripe.intents[payment.stripe_payment_intent],
        status="requires_payment_method",
        last_payment_error={"message": "Your card was declined."},
    )

    _post(client, _event("payment_intent.payment_failed", intent))

    payment.refresh_from_db()
    assert (payment.status, payment.failure) == (Payment.Status.FAILED, "Your card was declined.")
    assert assert_balance_is_its_entries(customer) == 0


def charge_of(payment, *refunds):
    """Stripe's charge of a top-up, with its refunds."""
    return {
        "id": "ch_1", "object": "charge", "currency": "eur",
        "payment_intent": payment.stripe_payment_intent, "refunds": {"data": list(refunds)},
    }  # fmt: skip


def test_a_top_up_refunded_on_stripes_dashboard_leaves_the_balance_once(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    succeeded(client, fake_stripe, payment)
    refund = {"id": "re_dash", "object": "refund", "amount": 1500, "currency": "eur",
              "status": "succeeded", "payment_intent": payment.stripe_payment_intent}  # fmt: skip
    charge = charge_of(payment, refund)
    event = _event("charge.refunded", charge)

    for sent in (event, event, _event("charge.refunded", charge)):
        assert _post(client, sent).status_code == 200

    [row] = Payment.objects.filter(kind=Payment.Kind.REFUND)
    assert (row.customer, row.order, row.amount) == (customer, None, D("15.00"))
    assert assert_balance_is_its_entries(customer) == D("5.00")

    # It fails later (the card expired): the credit comes back, once.
    failed = dict(refund, status="failed", failure_reason="expired_or_canceled_card")
    _post(client, _event("refund.updated", failed))
    _post(client, _event("refund.updated", failed))
    assert assert_balance_is_its_entries(customer) == D("20.00")


def test_a_top_up_refund_already_failed_when_first_heard_of_changes_nothing(
    client, household, card_hub, customer, fake_stripe
):
    payment = started(client, household, card_hub, fake_stripe)
    succeeded(client, fake_stripe, payment)
    refund = {"id": "re_dash", "object": "refund", "amount": 1500, "currency": "eur",
              "status": "failed", "payment_intent": payment.stripe_payment_intent}  # fmt: skip
    charge = charge_of(payment, refund)

    _post(client, _event("charge.refunded", charge))

    assert assert_balance_is_its_entries(customer) == D("20.00")


def test_a_payment_names_an_order_or_a_customer_never_both(customer, order):
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(method="card", amount=D("5.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(method="card", amount=D("5.00"), order=order, customer=customer)


# The page


def test_my_balance_lists_the_entries_with_bounded_queries(
    client, household, card_hub, customer, fake_stripe, django_assert_max_num_queries
):
    for n in range(30):
        ledger.add_entry(customer=customer, kind="manual", amount=D("1.00"), key=f"t:{n}",
                         reason="Reprise")  # fmt: skip
    client.force_login(household)

    with django_assert_max_num_queries(15):
        response = client.get(page(card_hub) + "?top_up=done")

    html = response.content.decode().replace("\u00a0", " ")
    assert "30,00 € d’avoir" in html
    assert "Recharger mon avoir par carte" in html
    assert "dès que Stripe confirme le paiement" in html


def test_my_orders_links_to_my_balance(client, household, card_hub, customer):
    client.force_login(household)
    html = client.get(reverse("orders:my_orders")).content.decode()
    assert page(card_hub) in html


def test_who_sees_a_balance(client, household, card_hub, customer, order, other_hub_manager):
    assert client.get(page(card_hub)).status_code == 302  # to log in
    client.force_login(other_hub_manager)  # not a customer of this hub
    assert client.get(page(card_hub)).status_code == 404
    stranger = factories.UserFactory()
    client.force_login(stranger)
    assert client.get(page(card_hub)).status_code == 404
    other = factories.HubFactory(slug="tourcoing")
    customer_for(hub_id=other.pk, email="x@example.org", full_name="X")
    client.force_login(household)
    assert client.get(reverse("balance:mine", args=["tourcoing"])).status_code == 404


def test_a_guest_sees_its_balance_by_its_orders_secret_link(client, card_hub, cycle, slot, offers):
    guest_order = services.place_order(
        cycle=cycle, items={offers["carrots"].pk: 1}, slot=slot, email="invite@example.org",
        full_name="Sam Invité", notify=False,
    )  # fmt: skip
    ledger.add_entry(customer=guest_order.customer, kind="manual", amount=D("2.00"),
                     key="t:guest", reason="Monnaie")  # fmt: skip

    response = client.get(reverse("balance:by_token", args=[guest_order.access_token]))

    assert response.status_code == 200
    assert "2,00\u00a0€ d’avoir" in response.content.decode()
    assert client.get(reverse("balance:by_token", args=["x" * 40])).status_code == 404
