"""Card payments: PaymentIntents through a fake Stripe, locally signed webhooks, refunds.

No test reaches the network: Stripe's HTTP client is replaced by ``FakeStripe``, which
answers with canned JSON and records every request.
"""

import itertools
import json
import time
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe
from django.db import connection
from django.urls import reverse

from orders.checkout import services
from orders.models import Order, OrderEvent, Payment, PaymentAnomaly, StripeEvent
from orders.money import payments, stripe_api

WEBHOOK_SECRET = "whsec_test_secret"


class FakeStripe(stripe.HTTPClient):
    """Stripe's API as far as we use it, in memory, idempotency keys included.

    Stripe may take seconds to answer: it must never be called while a database transaction
    is open (on SQLite, that holds every other writer up; on PostgreSQL, the rows locked).
    A call made inside one fails the test: the transactions open when the fake is made (the
    test's own, with pytest-django's ``db``) are the baseline.
    """

    name = "fake"

    def __init__(self):
        super().__init__()
        self.requests: list[dict] = []
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.by_key: dict[str, dict] = {}
        self.ids = itertools.count(1)
        self.outside = len(connection.atomic_blocks)
        self.inside_transaction: list[str] = []
        self.hooks: list[tuple[str, str, str, Callable]] = []

    def meanwhile(self, method, path, action, *, when="before"):
        """Run ``action`` once, while Stripe handles the next ``method path`` (``before``
        it answers, or ``after``, the answer made but not yet received): what another
        request of the site may do while this one waits for Stripe."""
        self.hooks.append((method, path, when, action))

    def _hook(self, method, path, when):
        for hook in self.hooks:
            if hook[:3] == (method, path, when):
                self.hooks.remove(hook)
                hook[3]()
                return

    def request(self, method, url, headers, post_data=None):
        if len(connection.atomic_blocks) > self.outside:
            # Recorded too, in case the code under test swallows the error.
            self.inside_transaction.append(f"{method} {url}")
            raise AssertionError(f"Stripe called inside a transaction: {method} {url}")
        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query))
        self.requests.append(
            {"method": method, "path": parts.path, "headers": dict(headers), "params": params}
        )
        key = headers.get("Idempotency-Key")
        self._hook(method, parts.path, "before")
        if method == "post" and key in self.by_key:
            body = self.by_key[key]
        else:
            body = self._route(method, parts.path, params)
        if body.get("error"):
            return json.dumps(body), 400, {}
        if method == "post" and key:
            self.by_key[key] = body
        self._hook(method, parts.path, "after")
        return self._ok(body)

    def request_stream(self, *args, **kwargs):
        raise NotImplementedError

    def _ok(self, body):
        return json.dumps(body), 200, {"Request-Id": f"req_{next(self.ids)}"}

    def _route(self, method, path, params):
        segments = path.strip("/").split("/")[1:]  # without "v1"
        if segments == ["payment_intents"] and method == "post":
            intent_id = f"pi_{next(self.ids)}"
            intent = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": int(params["amount"]),
                "amount_received": 0,
                "currency": params["currency"],
                "status": "requires_payment_method",
                "client_secret": f"{intent_id}_secret_{next(self.ids)}",
                "metadata": {"order_number": params["metadata[order_number]"]},
            }
            self.intents[intent_id] = intent
            return intent
        if segments[0] == "payment_intents" and len(segments) == 2:
            return self.intents[segments[1]]
        if segments[0] == "payment_intents" and segments[2:] == ["cancel"]:
            intent = self.intents[segments[1]]
            if intent["status"] in {"succeeded", "processing"}:
                return {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "payment_intent_unexpected_state",
                        "message": "This PaymentIntent could not be canceled.",
                    }
                }
            intent["status"] = "canceled"
            return intent
        if segments == ["refunds"] and method == "post":
            refund_id = f"re_{next(self.ids)}"
            refund = {
                "id": refund_id,
                "object": "refund",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "charge": "ch_" + params["payment_intent"],
                "status": "succeeded",
                "metadata": {
                    key[len("metadata[") : -1]: value
                    for key, value in params.items()
                    if key.startswith("metadata[")
                },
            }
            self.refunds[refund_id] = refund
            return refund
        if segments == ["refunds"] and method == "get":
            data = [r for r in self.refunds.values() if r["charge"] == params["charge"]]
            return {"object": "list", "url": "/v1/refunds", "has_more": False, "data": data}
        raise AssertionError(f"unexpected Stripe call {method} {path}")

    def posts(self, path):
        return [r for r in self.requests if r["method"] == "post" and r["path"] == path]

    def pay(self, intent_id):
        """What Stripe does when the household's card is accepted."""
        intent = self.intents[intent_id]
        intent.update(status="succeeded", amount_received=intent["amount"])
        return intent


class NoNetwork(stripe.HTTPClient):
    name = "no-network"

    def request(self, method, url, headers, post_data=None):
        raise AssertionError(f"a test tried to reach Stripe: {method} {url}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", NoNetwork())


def use_test_keys(settings) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET


@pytest.fixture
def stripe_keys(settings):
    use_test_keys(settings)


def answered_by(monkeypatch, fake: FakeStripe):
    """For a ``fake_stripe`` fixture: Stripe is ``fake`` during the test, which must never
    have called it inside a transaction."""
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
    yield fake
    assert fake.inside_transaction == []


@pytest.fixture
def fake_stripe(monkeypatch, stripe_keys, db):
    yield from answered_by(monkeypatch, FakeStripe())


@pytest.fixture
def card_hub(hub):
    hub.accepts_card_payments = True
    hub.save()
    return hub


@pytest.fixture
def card_order(card_hub, fake_stripe, cycle, slot, offers):
    """A guest's card order of 9,60 € (2 × carrots 2,40 + bread 4,80), awaiting payment."""
    return services.place_order(
        cycle=cycle,
        items={offers["carrots"].pk: 2, offers["bread"].pk: 1},
        email="invite@example.org",
        full_name="Sam Invité",
        slot=slot,
        payment_method="card",
    )


def _event(event_type, obj, event_id=None, *, account=None):
    """A Stripe event; ``account``: the connected account it is about (None: the platform)."""
    event = {
        "id": event_id or f"evt_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "data": {"object": obj},
    }
    if account:
        event["account"] = account
    return event


def _post(client, event, *, secret=WEBHOOK_SECRET, timestamp=None, header=None):
    payload = json.dumps(event)
    if header is None:
        header = stripe.WebhookSignature.generate_signature_header(
            payload, secret, timestamp=timestamp
        )
    return client.post(
        reverse("payments:stripe_webhook"),
        data=payload,
        content_type="application/json",
        headers={"Stripe-Signature": header} if header else {},
    )


def _paid(client, fake_stripe, intent_id, *, event_id=None):
    return _post(client, _event("payment_intent.succeeded", fake_stripe.pay(intent_id), event_id))


# Offering card payment


def test_card_payment_not_offered_without_stripe_keys(hub, cycle, slot, offers, settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    hub.accepts_card_payments = True
    hub.save()
    assert not hub.card_payments_available
    with pytest.raises(services.OrderError):
        services.place_order(
            cycle=cycle,
            items={offers["carrots"].pk: 1},
            email="invite@example.org",
            full_name="Sam Invité",
            slot=slot,
            payment_method="card",
        )
    assert not Order.objects.exists()


def test_pay_page_is_404_without_stripe_keys(client, card_order, settings):
    settings.STRIPE_SECRET_KEY = ""
    response = client.get(reverse("payments:pay", args=[card_order.access_token]))
    assert response.status_code == 404


# Starting a payment


def test_a_card_order_waits_for_payment_until_stripe_confirms(card_order, mailoutbox):
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert card_order.total == Decimal("9.60")
    assert mailoutbox == []


def test_payment_intent_is_created_in_cents_with_an_idempotency_key(card_order, fake_stripe):
    payment, client_secret = payments.start_card_payment(card_order)

    [create] = fake_stripe.posts("/v1/payment_intents")
    assert create["params"]["amount"] == "960"
    assert create["params"]["currency"] == "eur"
    assert create["params"]["automatic_payment_methods[enabled]"] == "true"
    assert create["params"]["metadata[order_number]"] == card_order.number
    assert create["headers"]["Idempotency-Key"].startswith(f"foodhub-{card_order.pk}-")
    assert create["headers"]["Authorization"] == "Bearer sk_test_fake"
    assert "Stripe-Account" not in create["headers"]
    assert payment.status == Payment.Status.PENDING
    assert payment.amount == Decimal("9.60")
    assert client_secret == fake_stripe.intents[payment.stripe_payment_intent]["client_secret"]


def test_starting_twice_reuses_the_same_payment_intent(card_order, fake_stripe):
    first = payments.start_card_payment(card_order)
    second = payments.start_card_payment(card_order)

    assert second == first
    assert len(fake_stripe.posts("/v1/payment_intents")) == 1
    assert card_order.payments.count() == 1


def test_a_hub_with_its_own_stripe_account_is_charged_through_connect(
    card_hub, card_order, fake_stripe
):
    card_hub.stripe_account_id = "acct_1Lille"
    card_hub.save()

    payments.start_card_payment(card_order)
    payments.start_card_payment(card_order)

    assert len(fake_stripe.requests) == 2  # create, then retrieve
    assert all(r["headers"]["Stripe-Account"] == "acct_1Lille" for r in fake_stripe.requests)


def test_a_changed_order_gets_a_new_payment_intent_and_the_old_one_is_cancelled(
    card_order, fake_stripe, offers
):
    old, _secret = payments.start_card_payment(card_order)
    services.update_order(order=card_order, items={offers["carrots"].pk: 1})

    new, _secret = payments.start_card_payment(card_order)

    assert new.amount == Decimal("2.40")
    assert fake_stripe.intents[old.stripe_payment_intent]["status"] == "canceled"
    old.refresh_from_db()
    assert old.status == Payment.Status.CANCELLED
    assert [r["params"]["amount"] for r in fake_stripe.posts("/v1/payment_intents")] == [
        "960",
        "240",
    ]


# The pay page and the return page


def test_pay_page_shows_stripes_payment_element_to_a_guest(client, card_order, fake_stripe):
    response = client.get(reverse("payments:pay", args=[card_order.access_token]))

    assert response.status_code == 200
    payment = card_order.payments.get()
    content = response.content.decode()
    assert "https://js.stripe.com/v3/" in content
    assert "pk_test_fake" in content
    assert fake_stripe.intents[payment.stripe_payment_intent]["client_secret"] in content
    paid_url = reverse("payments:paid", args=[card_order.access_token])
    assert response.context["stripe_config"]["returnUrl"].endswith(paid_url)


def test_pay_page_is_404_for_an_order_paid_at_pickup(client, hub, cycle, slot, offers, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    order = services.place_order(
        cycle=cycle,
        items={offers["carrots"].pk: 1},
        email="invite@example.org",
        full_name="Sam Invité",
        slot=slot,
    )
    response = client.get(reverse("payments:pay", args=[order.access_token]))
    assert response.status_code == 404


def test_pay_page_is_404_once_paid_or_for_an_unknown_token(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    _paid(client, fake_stripe, payment.stripe_payment_intent)

    assert client.get(reverse("payments:pay", args=[card_order.access_token])).status_code == 404
    assert client.get(reverse("payments:pay", args=["nope"])).status_code == 404


def test_return_page_says_what_stripe_said_until_the_webhook_confirms(client, card_order):
    url = reverse("payments:paid", args=[card_order.access_token])

    assert client.get(url, {"redirect_status": "succeeded"}).context["outcome"] == "received"
    failed = client.get(url, {"redirect_status": "failed"})
    assert failed.context["outcome"] == "failed"
    assert failed.context["can_retry"]
    assert client.get(url).context["outcome"] == "waiting"


# Webhooks


def test_succeeded_webhook_places_the_order_and_sends_one_confirmation(
    client, card_order, fake_stripe, mailoutbox, django_capture_on_commit_callbacks
):
    payment, _secret = payments.start_card_payment(card_order)
    event = _event("payment_intent.succeeded", fake_stripe.pay(payment.stripe_payment_intent))

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, event)

    assert response.status_code == 200
    card_order.refresh_from_db()
    payment.refresh_from_db()
    assert card_order.status == Order.Status.PLACED
    assert payment.status == Payment.Status.SUCCEEDED
    assert services.paid_amount(card_order) == Decimal("9.60")
    assert len(mailoutbox) == 1
    assert card_order.number in mailoutbox[0].subject
    assert mailoutbox[0].to == ["invite@example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        replay = _post(client, event)

    assert replay.status_code == 200
    assert len(mailoutbox) == 1
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    assert card_order.payments.filter(status=Payment.Status.SUCCEEDED).count() == 1
    assert card_order.events.filter(kind=OrderEvent.Kind.PAYMENT).count() == 1


def test_webhook_with_a_bad_signature_is_refused(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    event = _event("payment_intent.succeeded", fake_stripe.pay(payment.stripe_payment_intent))

    assert _post(client, event, secret="whsec_forged").status_code == 400
    assert _post(client, event, header="").status_code == 400
    assert _post(client, event, header="t=1,v1=abc").status_code == 400
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert not StripeEvent.objects.exists()


def test_webhook_with_a_stale_timestamp_is_refused(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    event = _event("payment_intent.succeeded", fake_stripe.pay(payment.stripe_payment_intent))

    response = _post(client, event, timestamp=int(time.time()) - 600)

    assert response.status_code == 400
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.AWAITING_PAYMENT


def test_webhook_signed_for_the_connect_endpoint_is_accepted(client, card_order, settings):
    settings.STRIPE_WEBHOOK_SECRET = f"{WEBHOOK_SECRET}, whsec_connect"
    event = _event("customer.created", {"id": "cus_1", "object": "customer"})

    assert _post(client, event, secret="whsec_connect").status_code == 200
    assert _post(client, event, secret="whsec_other").status_code == 400


def test_webhook_is_refused_when_no_secret_is_configured(client, card_order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""
    response = _post(client, _event("payment_intent.succeeded", {"id": "pi_x"}))
    assert response.status_code == 400


def _post_raw(client, payload: str):
    """A body signed with the right secret, whatever it holds."""
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    return client.post(
        reverse("payments:stripe_webhook"),
        data=payload.encode("utf-8"),
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )


def _intent_event(intent, **changes):
    return _event("payment_intent.succeeded", {**intent, **changes}, "evt_bad")


def _malformed_bodies(intent):
    """Signed bodies that are not Stripe events, or whose fields have the wrong types."""
    good = _intent_event(intent)
    without = {key: value for key, value in good.items() if key != "data"}
    charge = {"id": "ch_1", "object": "charge", "currency": "eur", "payment_intent": intent["id"]}
    setup = {"id": "seti_1", "object": "setup_intent"}
    bodies = ["[]", "null", "{}", '"evt_1"', "1", "true", "NaN", "[" * 50_000 + "]" * 50_000]
    bodies += [json.dumps(event) for event in [
        without,
        {**good, "id": 5},
        {**good, "id": ""},
        {**good, "id": None},
        {**good, "type": 12},
        {**good, "type": ["payment_intent.succeeded"]},
        {**good, "account": 42},
        {**good, "data": []},
        {**good, "data": {}},
        {**good, "data": {"object": None}},
        {**good, "data": {"object": [intent]}},
        _intent_event(intent, id=None),
        _intent_event(intent, id=123),
        _intent_event(intent, amount="960"),
        _intent_event(intent, amount=9.6),
        _intent_event(intent, amount=True),
        _intent_event(intent, amount=None),
        _intent_event(intent, currency=None),
        _intent_event(intent, currency=["eur"]),
        _intent_event(intent, metadata=["order_number"]),
        _intent_event(intent, metadata={"order_number": 5}),
        _intent_event(intent, id="pi_\x00"),
        _intent_event(intent, last_payment_error={"message": "nul\x00"}),
        _event("charge.refunded", {**charge, "refunds": {"data": "all"}}),
        _event("charge.refunded", {**charge, "refunds": {"data": [{"id": "re_1"}]}}),
        _event("charge.refunded", {**charge, "refunds": {"data": [{"id": 1, "amount": 5}]}}),
        _event("charge.refunded", {**charge, "payment_intent": {"id": intent["id"]}}),
        _event("setup_intent.succeeded", {**setup, "payment_method": 5}),
        _event("setup_intent.succeeded", {**setup, "payment_method": {"card": {}}}),
        _event("setup_intent.succeeded", {**setup, "metadata": {"weekly_basket": 1}}),
    ]]  # fmt: skip
    bodies.append(json.dumps(good).replace('"amount": 960', '"amount": NaN'))
    bodies.append(json.dumps(_intent_event(intent, padding="x" * 1_000_000)))  # 1 MB
    return bodies


def test_signed_bodies_that_are_not_stripe_events_are_refused_and_change_nothing(
    client, card_order, fake_stripe, mailoutbox
):
    payment, _secret = payments.start_card_payment(card_order)
    intent = fake_stripe.pay(payment.stripe_payment_intent)

    for body in _malformed_bodies(intent):
        response = _post_raw(client, body)
        assert response.status_code == 400, body[:200]

    assert not StripeEvent.objects.exists()
    card_order.refresh_from_db()
    payment.refresh_from_db()
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert payment.status == Payment.Status.PENDING
    assert mailoutbox == []
    # The same event, well formed, is applied.
    assert _post_raw(client, json.dumps(_intent_event(intent))).status_code == 200
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.PLACED


def test_a_webhook_body_that_is_not_utf_8_is_refused(client, card_order):
    header = stripe.WebhookSignature.generate_signature_header("x", WEBHOOK_SECRET)
    response = client.post(
        reverse("payments:stripe_webhook"),
        data=b"\xff\xfe",
        content_type="application/json",
        headers={"Stripe-Signature": header},
    )
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_unknown_event_type_is_acknowledged_and_ignored(client, card_order, mailoutbox):
    response = _post(client, _event("customer.created", {"id": "cus_1", "object": "customer"}))

    assert response.status_code == 200
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert mailoutbox == []


def test_failed_payment_keeps_the_order_waiting_and_the_household_can_retry(
    client, card_order, fake_stripe, mailoutbox
):
    payment, secret = payments.start_card_payment(card_order)
    intent = fake_stripe.intents[payment.stripe_payment_intent]
    intent["last_payment_error"] = {"message": "Your card was declined."}

    response = _post(client, _event("payment_intent.payment_failed", intent))

    assert response.status_code == 200
    payment.refresh_from_db()
    card_order.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert mailoutbox == []
    # Stripe keeps the PaymentIntent payable: the retry uses it again.
    retry, retry_secret = payments.start_card_payment(card_order)
    assert (retry.pk, retry_secret) == (payment.pk, secret)
    assert retry.status == Payment.Status.PENDING
    pay_page = client.get(reverse("payments:pay", args=[card_order.access_token]))
    assert pay_page.status_code == 200


def test_a_late_failure_does_not_undo_a_success(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    intent = dict(fake_stripe.intents[payment.stripe_payment_intent])
    _paid(client, fake_stripe, payment.stripe_payment_intent)

    _post(client, _event("payment_intent.payment_failed", intent))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED


def test_charge_refunded_records_each_stripe_refund_once(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    _paid(client, fake_stripe, payment.stripe_payment_intent)
    refund = {"id": "re_dash", "object": "refund", "amount": 300, "status": "succeeded"}
    charge = {
        "id": "ch_1",
        "object": "charge",
        "currency": "eur",
        "payment_intent": payment.stripe_payment_intent,
        "amount_refunded": 300,
        "refunds": {"object": "list", "has_more": False, "data": [refund]},
    }

    assert _post(client, _event("charge.refunded", charge)).status_code == 200
    assert _post(client, _event("charge.refunded", charge)).status_code == 200  # new event id

    [row] = card_order.payments.filter(kind=Payment.Kind.REFUND)
    assert (row.stripe_refund, row.amount, row.status) == (
        "re_dash",
        Decimal("3.00"),
        Payment.Status.SUCCEEDED,
    )
    assert services.paid_amount(card_order) == Decimal("6.60")
    assert card_order.events.filter(kind=OrderEvent.Kind.REFUND).count() == 1


def test_charge_refunded_without_its_refunds_asks_stripe_for_them(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    _paid(client, fake_stripe, payment.stripe_payment_intent)
    pi = payment.stripe_payment_intent
    fake_stripe.refunds["re_dash"] = {
        "id": "re_dash", "object": "refund", "amount": 960, "payment_intent": pi,
        "charge": "ch_1", "status": "succeeded",
    }  # fmt: skip
    charge = {
        "id": "ch_1", "object": "charge", "currency": "eur", "payment_intent": pi,
        "amount_refunded": 960,
    }  # fmt: skip

    assert _post(client, _event("charge.refunded", charge)).status_code == 200

    [row] = card_order.payments.filter(kind=Payment.Kind.REFUND)
    assert row.amount == Decimal("9.60")
    [listing] = [r for r in fake_stripe.requests if r["path"] == "/v1/refunds"]
    assert listing["params"]["charge"] == "ch_1"


# Events that do not match what they pay: recorded for the managers, not applied


def _foreign_intent(order, *, amount=960, currency="eur"):
    """A PaymentIntent we never made (a crash, or someone else's) naming our order."""
    return {
        "id": "pi_elsewhere", "object": "payment_intent", "amount": amount,
        "amount_received": amount, "currency": currency, "status": "succeeded",
        "metadata": {"order_number": order.number},
    }  # fmt: skip


@pytest.mark.parametrize(
    "hub_account, event_account, currency, amount, problem, expected, received",
    [
        ("", "acct_someone", "eur", 960, "account", "", "acct_someone"),
        ("acct_1Lille", "acct_other", "eur", 960, "account", "acct_1Lille", "acct_other"),
        ("acct_1Lille", None, "eur", 960, "account", "acct_1Lille", ""),
        ("", None, "jpy", 960, "currency", "EUR", "JPY"),
        ("acct_1Lille", "acct_1Lille", "JPY", 960, "currency", "EUR", "JPY"),
        ("", None, "eur", 1, "amount", "9.60 EUR", "0.01 EUR"),
        ("", None, "eur", 96000, "amount", "9.60 EUR", "960.00 EUR"),
    ],
)
def test_an_unknown_payment_intent_naming_an_order_must_match_it_to_pay_it(
    client, card_hub, card_order, fake_stripe, mailoutbox,
    hub_account, event_account, currency, amount, problem, expected, received,
):  # fmt: skip
    card_hub.stripe_account_id = hub_account
    card_hub.save()
    intent = _foreign_intent(card_order, amount=amount, currency=currency)
    event = _event("payment_intent.succeeded", intent, account=event_account)

    assert _post(client, event).status_code == 200
    assert _post(client, event).status_code == 200  # a replay changes nothing more

    card_order.refresh_from_db()
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    assert not card_order.payments.exists()
    assert services.paid_amount(card_order) == 0
    assert mailoutbox == []
    [anomaly] = PaymentAnomaly.objects.all()
    assert (anomaly.hub, anomaly.order, anomaly.event_id) == (card_hub, card_order, event["id"])
    assert (anomaly.problem, anomaly.stripe_object) == (problem, "pi_elsewhere")
    assert (anomaly.expected, anomaly.received) == (expected, received)  # "": the platform
    assert StripeEvent.objects.filter(event_id=event["id"]).exists()  # handled: not retried


def test_an_unknown_payment_intent_that_matches_its_order_pays_it(
    client, card_hub, card_order, fake_stripe
):
    """What the check lets through: a crash after Stripe made the PaymentIntent, before we
    wrote its row, on the hub's own account."""
    card_hub.stripe_account_id = "acct_1Lille"
    card_hub.save()
    event = _event("payment_intent.succeeded", _foreign_intent(card_order), account="acct_1Lille")

    assert _post(client, event).status_code == 200

    card_order.refresh_from_db()
    assert card_order.status == Order.Status.PLACED
    assert services.paid_amount(card_order) == Decimal("9.60")
    assert not PaymentAnomaly.objects.exists()


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"amount_received": 100}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"account": "acct_someone"}, "account"),
    ],
)
def test_a_payment_of_another_amount_currency_or_account_than_our_row_is_not_counted(
    client, card_order, fake_stripe, changes, problem
):
    payment, _secret = payments.start_card_payment(card_order)
    account = changes.pop("account", None)
    intent = {**fake_stripe.pay(payment.stripe_payment_intent), **changes}

    response = _post(client, _event("payment_intent.succeeded", intent, account=account))
    assert response.status_code == 200

    payment.refresh_from_db()
    card_order.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert card_order.status == Order.Status.AWAITING_PAYMENT
    [anomaly] = PaymentAnomaly.objects.all()
    assert (anomaly.order, anomaly.problem) == (card_order, problem)


def test_a_failure_from_another_account_changes_nothing(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    intent = fake_stripe.intents[payment.stripe_payment_intent]

    _post(client, _event("payment_intent.payment_failed", intent, account="acct_someone"))

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING
    assert PaymentAnomaly.objects.get().problem == "account"


@pytest.mark.parametrize(
    "account, charge_currency, refund, problem",
    [
        ("acct_someone", "eur", {"amount": 300}, "account"),
        (None, "jpy", {"amount": 300}, "currency"),
        (None, "eur", {"amount": 300, "currency": "jpy"}, "currency"),
        (None, "eur", {"amount": 2000}, "amount"),
    ],
)
def test_a_refund_that_does_not_match_its_payment_is_not_recorded(
    client, card_order, fake_stripe, account, charge_currency, refund, problem
):
    payment, _secret = payments.start_card_payment(card_order)
    _paid(client, fake_stripe, payment.stripe_payment_intent)
    charge = {
        "id": "ch_1", "object": "charge", "currency": charge_currency,
        "payment_intent": payment.stripe_payment_intent,
        "refunds": {"has_more": False, "data": [{"id": "re_x", "status": "succeeded", **refund}]},
    }  # fmt: skip

    assert _post(client, _event("charge.refunded", charge, account=account)).status_code == 200

    assert not card_order.payments.filter(kind=Payment.Kind.REFUND).exists()
    assert services.paid_amount(card_order) == Decimal("9.60")
    assert PaymentAnomaly.objects.get().problem == problem
    assert not fake_stripe.posts("/v1/refunds") and len(fake_stripe.requests) == 1


def test_managers_see_the_payments_to_check_on_the_cycle_and_the_dashboard(
    client, card_hub, card_order, fake_stripe, manager, other_hub_manager
):
    intent = _foreign_intent(card_order, currency="jpy")
    _post(client, _event("payment_intent.succeeded", intent, account=None))
    cycle_url = reverse("cycles:detail", args=[card_hub.slug, card_order.cycle_id])

    client.force_login(manager)
    for url in [cycle_url, reverse("hubs:dashboard", args=[card_hub.slug])]:
        page = client.get(url).content.decode()
        assert "Paiements par carte à vérifier" in page, url
        assert card_order.number in page and "pi_elsewhere" in page and "JPY" in page
        assert f"#order-{card_order.pk}" in page

    client.force_login(other_hub_manager)
    assert client.get(cycle_url).status_code == 404


# Changes and cancellations of a paid order


@pytest.fixture
def paid_order(client, card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    _paid(client, fake_stripe, payment.stripe_payment_intent)
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.PLACED
    return card_order


def test_a_cheaper_order_is_refunded_the_difference(paid_order, fake_stripe, offers):
    services.update_order(order=paid_order, items={offers["carrots"].pk: 1, offers["bread"].pk: 1})

    assert payments.settle_card_difference(paid_order) is None

    [refund] = fake_stripe.posts("/v1/refunds")
    assert refund["params"]["amount"] == "240"
    payment = paid_order.payments.get(kind=Payment.Kind.PAYMENT)
    assert refund["params"]["payment_intent"] == payment.stripe_payment_intent
    assert refund["headers"]["Idempotency-Key"].startswith(f"foodhub-{paid_order.pk}-")
    assert services.paid_amount(paid_order) == Decimal("7.20")
    paid_order.refresh_from_db()
    assert payments.amount_due(paid_order) == 0

    payments.settle_card_difference(paid_order)  # again: nothing more to give back
    assert len(fake_stripe.posts("/v1/refunds")) == 1


def test_a_dearer_order_asks_for_the_difference(
    client, paid_order, fake_stripe, offers, mailoutbox, django_capture_on_commit_callbacks
):
    services.update_order(order=paid_order, items={offers["carrots"].pk: 3, offers["bread"].pk: 1})

    difference = payments.settle_card_difference(paid_order)

    assert difference.payment.amount == Decimal("2.40")
    assert fake_stripe.posts("/v1/payment_intents")[-1]["params"]["amount"] == "240"
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PLACED
    pay_page = client.get(reverse("payments:pay", args=[paid_order.access_token]))
    assert pay_page.status_code == 200
    assert pay_page.context["is_difference"]
    assert len(fake_stripe.posts("/v1/payment_intents")) == 2  # the page reused it

    with django_capture_on_commit_callbacks(execute=True):
        _paid(client, fake_stripe, difference.payment.stripe_payment_intent)

    assert services.paid_amount(paid_order) == Decimal("12.00")
    paid_order.refresh_from_db()
    assert payments.amount_due(paid_order) == 0
    assert mailoutbox == []  # no second confirmation


def test_a_cancelled_order_is_refunded_in_full(paid_order, fake_stripe):
    with pytest.raises(services.OrderError):
        payments.refund_card_payments(paid_order)  # still live

    services.cancel_order(order=paid_order)
    payments.refund_card_payments(paid_order)
    payments.refund_card_payments(paid_order)

    [refund] = fake_stripe.posts("/v1/refunds")
    assert refund["params"]["amount"] == "960"
    assert services.paid_amount(paid_order) == 0


def test_cancelling_an_unpaid_order_cancels_its_payment_intent(card_order, fake_stripe):
    payment, _secret = payments.start_card_payment(card_order)
    services.cancel_order(order=card_order)

    payments.refund_card_payments(card_order)

    assert fake_stripe.intents[payment.stripe_payment_intent]["status"] == "canceled"
    assert fake_stripe.posts("/v1/refunds") == []
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELLED


def test_a_payment_landing_after_cancelling_is_given_back(
    client, card_order, fake_stripe, django_capture_on_commit_callbacks, mailoutbox
):
    payment, _secret = payments.start_card_payment(card_order)
    services.cancel_order(order=card_order, notify=False)

    with django_capture_on_commit_callbacks(execute=True):
        _paid(client, fake_stripe, payment.stripe_payment_intent)

    [refund] = fake_stripe.posts("/v1/refunds")
    assert refund["params"]["amount"] == "960"
    card_order.refresh_from_db()
    assert card_order.status == Order.Status.CANCELLED
    assert mailoutbox == []


def test_settling_after_commit_logs_a_stripe_outage_instead_of_failing(
    paid_order, offers, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", Unreachable())
    services.update_order(order=paid_order, items={offers["carrots"].pk: 1})

    with django_capture_on_commit_callbacks(execute=True):
        payments.settle_card_difference_on_commit(paid_order)

    assert "Could not settle" in caplog.text
    paid_order.refresh_from_db()
    assert payments.amount_due(paid_order) < 0  # still owed back: visible on the order


# Stripe is called outside transactions: what changed meanwhile


def test_an_order_changed_while_stripe_makes_its_payment_intent_gets_one_for_the_new_amount(
    card_order, fake_stripe, offers
):
    fake_stripe.meanwhile(
        "post",
        "/v1/payment_intents",
        lambda: services.update_order(order=card_order, items={offers["carrots"].pk: 1}),
    )

    payment, client_secret = payments.start_card_payment(card_order)

    assert payment.amount == Decimal("2.40")
    assert client_secret == fake_stripe.intents[payment.stripe_payment_intent]["client_secret"]
    first, second = fake_stripe.posts("/v1/payment_intents")
    assert (first["params"]["amount"], second["params"]["amount"]) == ("960", "240")
    stale = card_order.payments.get(amount=Decimal("9.60"))
    assert stale.status == Payment.Status.CANCELLED
    assert fake_stripe.intents[stale.stripe_payment_intent]["status"] == "canceled"


def test_an_order_cancelled_while_stripe_makes_its_payment_intent_is_not_charged(
    card_order, fake_stripe
):
    fake_stripe.meanwhile(
        "post", "/v1/payment_intents", lambda: services.cancel_order(order=card_order)
    )

    with pytest.raises(services.OrderError):
        payments.start_card_payment(card_order)

    [payment] = card_order.payments.all()
    assert payment.status == Payment.Status.CANCELLED
    assert fake_stripe.intents[payment.stripe_payment_intent]["status"] == "canceled"


@pytest.fixture
def cheaper_order(paid_order, offers):
    """The paid order changed to one bunch of carrots less: 2.40 € to give back."""
    services.update_order(order=paid_order, items={offers["carrots"].pk: 1, offers["bread"].pk: 1})
    paid_order.refresh_from_db()
    return paid_order


def assert_refunded_once(order) -> Payment:
    """The 2.40 € given back once: one refund and one event, nothing owed either way."""
    [row] = order.payments.filter(kind=Payment.Kind.REFUND)
    assert (row.amount, row.status) == (Decimal("2.40"), Payment.Status.SUCCEEDED)
    assert payments.amount_due(order) == 0
    assert order.events.filter(kind=OrderEvent.Kind.REFUND).count() == 1
    return row


def test_two_settlements_at_once_give_the_excess_back_once(cheaper_order, fake_stripe):
    order = cheaper_order
    # While the first asks Stripe for the refund, a second one runs (two workers).
    fake_stripe.meanwhile("post", "/v1/refunds", lambda: payments.settle_card_difference(order))

    payments.settle_card_difference(order)

    assert {r["params"]["amount"] for r in fake_stripe.posts("/v1/refunds")} == {"240"}
    assert len(fake_stripe.refunds) == 1  # the second asked with the same key
    assert_refunded_once(order)


def test_a_refund_webhook_before_we_wrote_the_refund_is_counted_once(
    client, cheaper_order, fake_stripe
):
    order = cheaper_order
    payment = order.payments.get(kind=Payment.Kind.PAYMENT)
    charge = {
        "id": "ch_" + payment.stripe_payment_intent, "object": "charge", "currency": "eur",
        "payment_intent": payment.stripe_payment_intent,
    }  # fmt: skip
    # Stripe's webhook lands between Stripe's answer and our writing it down.
    fake_stripe.meanwhile(
        "post",
        "/v1/refunds",
        lambda: _post(client, _event("charge.refunded", charge)),
        when="after",
    )

    payments.settle_card_difference(order)

    row = assert_refunded_once(order)
    assert row.stripe_refund == next(iter(fake_stripe.refunds))


def test_a_refund_stripe_could_not_make_is_still_owed_then_made_once(
    cheaper_order, fake_stripe, monkeypatch
):
    order = cheaper_order
    with monkeypatch.context() as down:
        down.setattr(stripe_api, "HTTP_CLIENT", Unreachable())
        with pytest.raises(stripe_api.StripeError):
            payments.settle_card_difference(order)
    assert payments.amount_due(order) == Decimal("-2.40")  # shown as still owed back

    payments.settle_card_difference(order)
    payments.settle_card_difference(order)

    [refund] = fake_stripe.posts("/v1/refunds")
    assert refund["params"]["amount"] == "240"
    assert payments.amount_due(order) == 0


def test_stripe_calls_give_up_after_the_timeout_and_are_retried_at_most_as_configured(
    settings, monkeypatch, card_hub
):
    """Without a timeout, the library waits 80 seconds, and retries."""
    import requests

    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_TIMEOUT = 3
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", None)
    monkeypatch.setattr(stripe.HTTPClient, "_sleep_time_seconds", lambda self, n: 0)
    asked = []

    def slow(self, method, url, **kwargs):
        asked.append(kwargs.get("timeout"))
        raise requests.exceptions.ReadTimeout("Stripe is slow")

    monkeypatch.setattr(requests.Session, "request", slow)

    with pytest.raises(stripe.APIConnectionError):
        stripe_api.retrieve_payment_intent(hub=card_hub, payment_intent_id="pi_1")
    assert asked == [3, 3]  # once, then once again


class Unreachable(stripe.HTTPClient):
    name = "unreachable"

    def request(self, method, url, headers, post_data=None):
        raise stripe.APIConnectionError("Stripe is down")


def test_a_kind_of_stripe_event_has_one_handler():
    """Other parts add their handlers through ``register``; a second handler for a kind
    already handled is refused rather than silently replacing the first."""
    assert payments.HANDLERS["setup_intent.succeeded"].__module__.endswith("weekly")
    with pytest.raises(ValueError):
        payments.register("payment_intent.succeeded", lambda event, source: None)
    payments.register("payment_intent.succeeded", payments.HANDLERS["payment_intent.succeeded"])
