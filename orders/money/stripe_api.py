"""Every call to Stripe, in one place.

Amounts cross this boundary as integer cents (``pricing.to_cents``); everything above it
works in ``Decimal`` euros. Functions return plain dicts (``StripeObject.to_dict()``), so
the rest of the code never depends on the library's object model.

A hub with its own Stripe account (Connect) has its calls made on that account: the client
sends ``Stripe-Account: <hub.stripe_account_id>``.

Stripe may be slow or unreachable: every call gives up after ``STRIPE_TIMEOUT`` seconds and
is tried again at most ``STRIPE_MAX_NETWORK_RETRIES`` times (POSTs carry idempotency keys, so
a retry never makes a second object), and no call is ever made while a database transaction
is open (callers read, call Stripe, then write in a short transaction of their own).

Tests replace ``HTTP_CLIENT`` with a fake ``stripe.HTTPClient``: the network is never reached.
"""

import functools
import json
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import get_language

CURRENCY = "eur"

# Stripe.js is always loaded from Stripe (never bundled), on the pay page only.
STRIPE_JS_URL = "https://js.stripe.com/v3/"

# The HTTP client every StripeClient uses; None means the network, with a short timeout.
HTTP_CLIENT: stripe.HTTPClient | None = None

StripeError = stripe.StripeError


class InvalidWebhook(Exception):
    """The webhook is not from Stripe: no or bad signature, stale timestamp, not JSON."""


def is_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


@functools.cache
def _network_client(timeout: int) -> stripe.HTTPClient:
    # One per process (its connections are kept); the library's default waits 80 seconds.
    return stripe.RequestsClient(timeout=timeout)


def http_client() -> stripe.HTTPClient:
    return HTTP_CLIENT or _network_client(settings.STRIPE_TIMEOUT)


def get_client(hub=None) -> stripe.StripeClient:
    """A client with the platform's secret key, on the hub's own account when it has one."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        stripe_account=account_of(hub),
        http_client=http_client(),
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
    )


def account_of(hub) -> str | None:
    return (getattr(hub, "stripe_account_id", "") or "").strip() or None


def element_config(*, hub, client_secret: str, return_path: str, error_message: str) -> dict:
    """What a page's Stripe Element needs (``orders/_stripe_element_script.html``): the
    hub's account, the intent's secret, where Stripe sends the household back."""
    return {
        "publishableKey": settings.STRIPE_PUBLISHABLE_KEY,
        "stripeAccount": account_of(hub),
        "clientSecret": client_secret,
        "returnUrl": settings.SITE_URL + return_path,
        "locale": (get_language() or settings.LANGUAGE_CODE)[:2],
        "errorMessage": error_message,
    }


def create_payment_intent(
    *, hub, amount_cents: int, idempotency_key: str, description: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """A PaymentIntent; its ``metadata`` names what it pays (``order_number``, or a top-up:
    ``purpose`` and ``customer``), for its webhook."""
    intent = get_client(hub).v1.payment_intents.create(
        {
            "amount": amount_cents,
            "currency": CURRENCY,
            "automatic_payment_methods": {"enabled": True},
            "description": description,
            "metadata": metadata,
        },
        {"idempotency_key": idempotency_key},
    )
    return intent.to_dict()


def retrieve_payment_intent(*, hub, payment_intent_id: str) -> dict[str, Any]:
    return get_client(hub).v1.payment_intents.retrieve(payment_intent_id).to_dict()


def cancel_payment_intent(*, hub, payment_intent_id: str) -> dict[str, Any]:
    return get_client(hub).v1.payment_intents.cancel(payment_intent_id).to_dict()


def create_refund(
    *, hub, payment_intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict
) -> dict[str, Any]:
    """A refund, which names our refund row (``metadata["payment_row"]``): its webhook may
    come before we have written the refund's id in that row."""
    refund = get_client(hub).v1.refunds.create(
        {
            "payment_intent": payment_intent_id,
            "amount": amount_cents,
            "metadata": {key: str(value) for key, value in metadata.items()},
        },
        {"idempotency_key": idempotency_key},
    )
    return refund.to_dict()


def list_refunds(*, hub, charge_id: str) -> list[dict[str, Any]]:
    """A charge's refunds (webhook charges no longer carry them since API 2022-11-15)."""
    refunds = get_client(hub).v1.refunds.list({"charge": charge_id, "limit": 100})
    return [refund.to_dict() for refund in refunds.data]


# Weekly baskets: a card saved once (SetupIntent), charged off-session at each close.


def create_customer(*, hub, email: str, name: str, idempotency_key: str) -> dict[str, Any]:
    customer = get_client(hub).v1.customers.create(
        {"email": email, "name": name}, {"idempotency_key": idempotency_key}
    )
    return customer.to_dict()


def create_setup_intent(
    *, hub, customer_id: str, idempotency_key: str, metadata: dict[str, str]
) -> dict[str, Any]:
    """A SetupIntent saving a card for later payments made without the household."""
    intent = get_client(hub).v1.setup_intents.create(
        {
            "customer": customer_id,
            "usage": "off_session",
            "automatic_payment_methods": {"enabled": True},
            "metadata": metadata,
        },
        {"idempotency_key": idempotency_key},
    )
    return intent.to_dict()


def retrieve_setup_intent(*, hub, setup_intent_id: str) -> dict[str, Any]:
    return get_client(hub).v1.setup_intents.retrieve(setup_intent_id).to_dict()


def retrieve_payment_method(*, hub, payment_method_id: str) -> dict[str, Any]:
    return get_client(hub).v1.payment_methods.retrieve(payment_method_id).to_dict()


def charge_off_session(
    *,
    hub,
    amount_cents: int,
    customer_id: str,
    payment_method_id: str,
    order_number: str,
    idempotency_key: str,
    description: str = "",
) -> dict[str, Any]:
    """Charge a saved card now, the household not being there (``off_session``).

    A refused card raises ``stripe.CardError`` (``authentication_required`` when the bank
    wants the household to confirm); its ``error.payment_intent`` is the failed intent.
    """
    intent = get_client(hub).v1.payment_intents.create(
        {
            "amount": amount_cents,
            "currency": CURRENCY,
            "customer": customer_id,
            "payment_method": payment_method_id,
            "off_session": True,
            "confirm": True,
            "description": description or order_number,
            "metadata": {"order_number": order_number},
        },
        {"idempotency_key": idempotency_key},
    )
    return intent.to_dict()


CardError = stripe.CardError
InvalidRequestError = stripe.InvalidRequestError


# A Stripe event is a few kilobytes; anything much bigger is not one.
MAX_WEBHOOK_BYTES = 256 * 1024

# What the handled events' objects must hold, checked before anything reads them: a field
# absent or null is allowed unless it is marked required. Stripe sends exactly these
# types; anything else (a number for an id, a string for an amount) is not Stripe's.
_METADATA = (dict, False)
_PAYMENT_INTENT = {
    "id": (str, True),
    "amount": (int, True),
    "currency": (str, True),
    "amount_received": (int, False),
    "status": (str, False),
    "metadata": _METADATA,
    "last_payment_error": (dict, False),
}
_EVENT_OBJECTS: dict[str, dict[str, tuple[type | tuple[type, ...], bool]]] = {
    "payment_intent.succeeded": _PAYMENT_INTENT,
    "payment_intent.payment_failed": _PAYMENT_INTENT,
    "charge.refunded": {
        "id": (str, True),
        "currency": (str, True),
        "payment_intent": (str, False),
        "refunds": (dict, False),
    },
    "setup_intent.succeeded": {
        "id": (str, True),
        "customer": (str, False),
        "payment_method": ((str, dict), False),
        "metadata": _METADATA,
    },
}
_REFUND = {
    "id": (str, True),
    "amount": (int, True),
    "currency": (str, False),
    "status": (str, False),
    "metadata": _METADATA,
}
for _kind in ("refund.updated", "refund.failed", "charge.refund.updated"):
    _EVENT_OBJECTS[_kind] = {
        **_REFUND,
        "payment_intent": (str, False),
        "failure_reason": (str, False),
    }


def _check_fields(obj: Any, fields: dict, where: str) -> None:
    if not isinstance(obj, dict):
        raise InvalidWebhook(f"{where} is not an object")
    for name, (kinds, required) in fields.items():
        value = obj.get(name)
        if value is None:
            if required:
                raise InvalidWebhook(f"{where}.{name} is missing")
        elif isinstance(value, bool) or not isinstance(value, kinds):
            raise InvalidWebhook(f"{where}.{name} has the wrong type")


def check_event(event: Any) -> dict[str, Any]:
    """The event, if it has the shape of a Stripe event (raises ``InvalidWebhook`` if not):
    an id, a type, the account it is about (absent: the platform's), and its object, whose
    fields that our handlers read have the types Stripe gives them."""
    _check_fields(
        event,
        {"id": (str, True), "type": (str, True), "account": (str, False), "data": (dict, True)},
        "event",
    )
    if not event["id"] or len(event["id"]) > 255 or not event["type"]:
        raise InvalidWebhook("event.id or event.type is empty or too long")
    obj = event["data"].get("object")
    _check_fields(obj, {}, "event.data.object")
    kind = event["type"]
    if kind in _EVENT_OBJECTS:
        _check_fields(obj, _EVENT_OBJECTS[kind], kind)
        metadata = obj.get("metadata") or {}
        if not all(isinstance(value, str) for value in metadata.values()):
            raise InvalidWebhook(f"{kind}.metadata holds something else than text")
        if isinstance(obj.get("payment_method"), dict):
            _check_fields(obj["payment_method"], {"id": (str, True)}, "payment_method")
        refunds = obj.get("refunds") or {}
        if refunds.get("data") is not None:
            if not isinstance(refunds["data"], list):
                raise InvalidWebhook(f"{kind}: refunds.data is not a list")
            for refund in refunds["data"]:
                _check_fields(refund, _REFUND, f"{kind}: refund")
                if not all(isinstance(v, str) for v in (refund.get("metadata") or {}).values()):
                    raise InvalidWebhook(f"{kind}: refund metadata holds something else than text")
    return event


def construct_event(payload: bytes, sig_header: str | None) -> dict[str, Any]:
    """Verify a webhook's signature and age (5 minutes at most) and return the event, a plain
    dict checked by ``check_event``. Anything else raises ``InvalidWebhook``: a body too big,
    not signed by us, not JSON, or not shaped like a Stripe event.

    ``STRIPE_WEBHOOK_SECRET`` may hold several secrets separated by commas: the platform's
    endpoint and its Connect endpoint (events of the hubs' own accounts) each have one.
    """
    if len(payload) > MAX_WEBHOOK_BYTES:
        raise InvalidWebhook("too big to be a Stripe event")
    secrets = [s.strip() for s in (settings.STRIPE_WEBHOOK_SECRET or "").split(",") if s.strip()]
    if not secrets:
        raise InvalidWebhook("no webhook secret is configured")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidWebhook("not UTF-8") from exc
    error = None
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(
                text, sig_header, secret, tolerance=stripe.Webhook.DEFAULT_TOLERANCE
            )
            break
        except stripe.SignatureVerificationError as exc:
            error = exc
    else:
        raise InvalidWebhook(str(error)) from error
    try:
        event = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise InvalidWebhook("not JSON") from exc
    if _holds_nul(event):
        raise InvalidWebhook("a NUL character")  # no database stores it as text
    return check_event(event)


def _holds_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False
