"""Credit topped up by card: a household pays its hub in advance, and its balance grows.

1. ``start_top_up`` creates a PaymentIntent (its metadata says ``purpose: top_up`` and
   names the customer), keyed by the form that asked for it (sent twice: the same
   PaymentIntent), and writes its row (a ``Payment`` naming the customer, no order).
2. Stripe's Payment Element confirms it in the browser; the browser's return is never
   trusted.
3. Stripe's signed webhook (``payment_intent.succeeded``, routed here by its purpose)
   records the payment and adds a ``top_up`` entry keyed by the PaymentIntent: a replay
   adds nothing. An event made on another Stripe account, in another currency, or of
   another amount than the row's is kept for the managers (``PaymentAnomaly``) and not
   applied.
"""

import hashlib
import logging
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from orders import ledger
from orders.ledger import BillingError
from orders.models import BalanceEntry, Customer, Payment
from orders.money import payments, stripe_api
from orders.money.payments import Source
from orders.pricing import from_cents, to_cents

logger = logging.getLogger(__name__)

LOWEST = Decimal("5.00")
HIGHEST = Decimal("500.00")


class TopUpError(BillingError):
    """A top-up that cannot be made; the message says why."""


class TopUp(NamedTuple):
    payment: Payment
    client_secret: str


def check_amount(amount) -> Decimal:
    """A top-up's amount in euros: between ``LOWEST`` and ``HIGHEST``, to the cent."""
    try:
        amount = ledger._checked(amount)
    except BillingError as error:
        raise TopUpError(str(error)) from None
    if not LOWEST <= amount <= HIGHEST:
        raise TopUpError(
            _("A top-up is between %(lowest)s € and %(highest)s €.")
            % {"lowest": number_format(LOWEST, 2), "highest": number_format(HIGHEST, 2)}
        )
    return amount


def start_top_up(*, customer: Customer, amount, token: str) -> TopUp:
    """A PaymentIntent topping up the customer's credit with ``amount``, and its client
    secret for the page. ``token`` names the form that asked: asked again, the same."""
    amount = check_amount(amount)
    hub = customer.hub
    if not hub.card_payments_available:
        raise TopUpError(_("This hub does not take card payments."))
    key = f"top-up:{customer.pk}:{token}"
    written = Payment.objects.filter(key=key).first()
    if written is not None and written.amount != amount:
        raise TopUpError(_("This form is out of date: load the page again."))
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{customer.pk}".encode()).hexdigest()[:12]
    intent = stripe_api.create_payment_intent(
        hub=hub,
        amount_cents=to_cents(amount),
        idempotency_key=f"foodhub-top-up-{customer.pk}-{digest}-{token}",
        description=_("%(hub)s: credit topped up") % {"hub": hub.name},
        metadata={"purpose": "top_up", "customer": str(customer.pk)},
    )
    with transaction.atomic():
        payment, _created = Payment.objects.get_or_create(
            key=key,
            defaults={
                "customer": customer,
                "method": Payment.Method.CARD,
                "kind": Payment.Kind.PAYMENT,
                "amount": from_cents(intent["amount"]),
                "status": Payment.Status.PENDING,
                "stripe_payment_intent": intent["id"],
            },
        )
    return TopUp(payment, intent["client_secret"])


def _top_up_row(intent: dict) -> tuple[Customer, Payment | None] | None:
    """The customer of a top-up's PaymentIntent, with its row (locked) if we wrote one: a
    crash may come between Stripe's answer and our row, and the metadata names the
    customer."""
    row = (
        Payment.objects.select_for_update()
        .filter(kind=Payment.Kind.PAYMENT, customer__isnull=False, order__isnull=True)
        .filter(stripe_payment_intent=intent["id"])
        .select_related("customer__hub")
        .first()
    )
    if row is not None:
        return row.customer, row
    named = (intent.get("metadata") or {}).get("customer", "")
    if named.isascii() and named.isdigit() and len(named) < 19:
        customer = Customer.objects.select_related("hub").filter(pk=int(named)).first()
        if customer is not None:
            return customer, None
    logger.warning("Stripe top-up %s names no customer of ours", intent["id"])
    return None


def _top_up_succeeded(intent: dict, source: Source) -> None:
    found = _top_up_row(intent)
    if found is None:
        return
    customer, row = found
    received = intent.get("amount_received") or intent["amount"]
    if row is not None:
        expected = to_cents(row.amount)
    else:
        # No row: any amount a top-up may be, within the bounds.
        inside = to_cents(LOWEST) <= received <= to_cents(HIGHEST)
        expected = received if inside else to_cents(HIGHEST)
    if payments.mismatch(
        source,
        hub=customer.hub,
        stripe_object=intent["id"],
        currency=intent.get("currency"),
        expected_cents=expected,
        received_cents=received,
    ):
        return
    if row is None:
        row = Payment.objects.create(
            customer=customer,
            method=Payment.Method.CARD,
            amount=from_cents(received),
            stripe_payment_intent=intent["id"],
        )
    if row.status == Payment.Status.SUCCEEDED:
        return
    row.status = Payment.Status.SUCCEEDED
    row.save(update_fields=["status", "updated_at"])
    ledger.add_entry(
        customer=customer,
        kind=BalanceEntry.Kind.TOP_UP,
        amount=row.amount,
        key=f"top_up:{intent['id']}",
        payment=row,
    )


def _top_up_failed(intent: dict, source: Source) -> None:
    found = _top_up_row(intent)
    if found is None or found[1] is None or not payments.is_hubs_account(found[0].hub, source):
        return
    row = found[1]
    if row.status == Payment.Status.PENDING:
        error = (intent.get("last_payment_error") or {}).get("message", "")
        row.status = Payment.Status.FAILED
        row.failure = error[:255]
        row.save(update_fields=["status", "failure", "updated_at"])


payments.register_purpose("top_up", succeeded=_top_up_succeeded, failed=_top_up_failed)
