"""Card payments with Stripe: pay an order, settle its changes, refund it, hear the webhooks.

How money follows an order paid by card:

1. The order is placed "awaiting card payment". The pay page calls ``start_card_payment``,
   which creates (or reuses) a PaymentIntent for what is due; Stripe's Payment Element
   confirms it in the browser.
2. Stripe tells the outcome by signed webhook (``handle_event``): the payment succeeded, the
   order is placed and the confirmation e-mail owed. The browser's return is never trusted.
3. When a paid order is changed, ``settle_card_difference`` refunds what is now too much, or
   starts a PaymentIntent for what is missing (the order page asks the household for it).
4. When it is cancelled, ``refund_card_payments`` gives back everything paid by card.

Stripe is never called while a database transaction is open (on SQLite one holds every
other writer up for as long as Stripe takes; ``stripe_api`` gives each call a short
timeout). Each use case reads, calls Stripe, then writes in a short transaction under the
order's lock, checking that nothing moved meanwhile: a PaymentIntent no longer wanted is
cancelled, and refunds are written before they are made, so two settlements at once never
give the same money back twice. Every POST to Stripe carries an idempotency key (the order
and amount and attempt, or the refund's row), so a retry after a crash finds the object
the first try created.
"""

import hashlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from huey.contrib.djhuey import db_task

from orders.models import BalanceEntry, Order, OrderEvent, Payment, PaymentAnomaly, StripeEvent
from orders.order_emails import owe_order_email
from orders.pricing import ZERO, from_cents, to_cents
from orders.stock import OrderError, lock_order

from . import stripe_api

logger = logging.getLogger(__name__)

# A PaymentIntent in these states can still be paid with its client secret.
PAYABLE_STATES = {"requires_payment_method", "requires_confirmation", "requires_action"}
# The household has paid (or its bank is on it): the webhook will tell the outcome.
UNDER_WAY_STATES = {"processing", "requires_capture", "succeeded"}

REFUND_STATUSES = {
    "succeeded": Payment.Status.SUCCEEDED,
    "pending": Payment.Status.PENDING,
    "requires_action": Payment.Status.PENDING,
    "failed": Payment.Status.FAILED,
    "canceled": Payment.Status.CANCELLED,
}


class CardPayment(NamedTuple):
    payment: Payment
    client_secret: str


class PaymentUnderWay(OrderError):
    """The household has already paid; Stripe's webhook has not told us yet."""


class NothingToPay(OrderError):
    pass


# Amounts


def settled_amount(order: Order) -> Decimal:
    """What the household has paid, less the refunds made or under way at Stripe (a refund
    not yet made there, Stripe being unreachable, is still owed), with the credit used."""
    rows = order.payments.filter(
        Q(kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED)
        | Q(kind=Payment.Kind.REFUND, status=Payment.Status.SUCCEEDED)
        | (Q(kind=Payment.Kind.REFUND, status=Payment.Status.PENDING) & ~Q(stripe_refund=""))
    )
    # Credit used for it counts as paid; change kept or a debt paid from its payments not.
    moved = BalanceEntry.objects.moved_to_orders([order.pk]).get(order.pk, ZERO)
    return sum((row.signed_amount for row in rows), moved)


def _refunds_to_make(order: Order):
    """Refund rows written but not yet made at Stripe (``settle_card_difference``)."""
    return order.payments.filter(
        method=Payment.Method.CARD,
        kind=Payment.Kind.REFUND,
        status=Payment.Status.PENDING,
        stripe_refund="",
    )


def amount_due(order: Order) -> Decimal:
    """What is left to pay (negative: what is owed back). A cancelled order is owed nothing."""
    target = order.total if order.is_live else ZERO
    return target - settled_amount(order)


def idempotency_key(order: Order, *parts) -> str:
    # The access token's digest keeps two installations sharing a Stripe test account
    # (whose order ids start at 1 alike) from colliding on the same keys.
    digest = hashlib.sha256(order.access_token.encode()).hexdigest()[:12]
    return "-".join(["foodhub", str(order.pk), digest, *map(str, parts)])


def _open_intents(order: Order):
    """Card payments not (yet) paid whose PaymentIntent might still be paid."""
    return order.payments.filter(
        method=Payment.Method.CARD,
        kind=Payment.Kind.PAYMENT,
        status__in=[Payment.Status.PENDING, Payment.Status.FAILED],
    ).exclude(stripe_payment_intent="")


def cancel_intent(order: Order, payment: Payment) -> bool:
    """Cancel a PaymentIntent no longer wanted, so a stale pay page cannot take it.

    Returns False when Stripe refuses because it is already paid or being paid: its
    webhook will record the payment, and any excess is then refunded.
    """
    try:
        stripe_api.cancel_payment_intent(
            hub=order.cycle.hub, payment_intent_id=payment.stripe_payment_intent
        )
    except stripe_api.StripeError as exc:
        if getattr(exc, "code", "") != "payment_intent_unexpected_state":
            raise
        intent = stripe_api.retrieve_payment_intent(
            hub=order.cycle.hub, payment_intent_id=payment.stripe_payment_intent
        )
        if intent["status"] != "canceled":
            return False
    return True


# Paying


# A pay page that keeps losing the race against changes of its order gives up after this.
START_ATTEMPTS = 3


def start_card_payment(order: Order) -> CardPayment:
    """A PaymentIntent for what the order still owes, and its client secret for the page.

    Stripe is never called while a transaction is open (on SQLite, one holds every other
    writer up for as long as Stripe takes):

    1. Read what is due and the order's open PaymentIntents. Refuse when the order is not
       paid by card, is cancelled, or owes nothing.
    2. Ask Stripe: reuse the open PaymentIntent of this very amount when it can still be
       paid (say so when it is already paid: ``PaymentUnderWay``); cancel the open ones of
       another amount (the order changed since); otherwise create one, keyed by order,
       amount and attempt number.
    3. Under the order's lock, write what Stripe said, after checking the order did not
       change meanwhile. If it did (another amount due, cancelled...), the PaymentIntent
       is recorded, cancelled at Stripe, and we start again from 1.
    """
    if not stripe_api.is_configured():
        raise OrderError(_("Card payment is not available: choose to pay at pickup."))
    for _attempt in range(START_ATTEMPTS):
        card = _start_card_payment(order)
        if card is not None:
            return card
    raise OrderError(_("The order changed while the payment was prepared: try again."))


def _payable(order: Order) -> Decimal:
    if order.payment_method != Order.PaymentMethod.CARD or not order.is_live:
        raise OrderError(_("This order is not paid by card."))
    due = amount_due(order)
    if due <= 0:
        raise NothingToPay(_("Nothing is left to pay on this order."))
    return due


def _start_card_payment(order: Order) -> CardPayment | None:
    """One try of ``start_card_payment``: None when the order changed under it."""
    # 1. A snapshot, no lock held.
    order = Order.objects.select_related("cycle__hub").get(pk=order.pk)
    due = _payable(order)
    hub = order.cycle.hub
    open_payments = list(_open_intents(order).order_by("-created_at", "-pk"))
    attempt = order.payments.filter(method=Payment.Method.CARD, kind=Payment.Kind.PAYMENT).count()

    # 2. Stripe.
    reuse = None
    cancelled = []
    for payment in open_payments:
        if reuse is None and payment.amount == due:
            intent = stripe_api.retrieve_payment_intent(
                hub=hub, payment_intent_id=payment.stripe_payment_intent
            )
            if intent["status"] in PAYABLE_STATES:
                reuse = intent
                continue
            if intent["status"] in UNDER_WAY_STATES:
                _mark_cancelled(order, cancelled)
                raise PaymentUnderWay(_("Your payment is being processed."))
            cancelled.append(payment)  # cancelled at Stripe
        elif (payment.status == Payment.Status.PENDING or payment.amount != due) and (
            cancel_intent(order, payment)
        ):
            cancelled.append(payment)
    intent = reuse
    if intent is None:
        cents = to_cents(due)
        intent = stripe_api.create_payment_intent(
            hub=hub,
            amount_cents=cents,
            idempotency_key=idempotency_key(order, "payment", cents, attempt + 1),
            description=f"{hub.name} {order.number}",
            metadata={"order_number": order.number},
        )

    # 3. The rows, if the order is still as it was read.
    with transaction.atomic():
        order = lock_order(order.pk)
        _mark_cancelled(order, cancelled)
        payment = card_payment_of(order, intent)
        wanted = (
            order.payment_method == Order.PaymentMethod.CARD
            and order.is_live
            and payment.status in {Payment.Status.PENDING, Payment.Status.FAILED}
            and to_cents(amount_due(order)) == intent["amount"]
        )
        if wanted and payment.status != Payment.Status.PENDING:
            payment.status = Payment.Status.PENDING
            payment.save(update_fields=["status", "updated_at"])
    if wanted:
        return CardPayment(payment, intent["client_secret"])
    # Changed meanwhile: this PaymentIntent is no longer what is owed.
    if payment.status in {Payment.Status.PENDING, Payment.Status.FAILED} and cancel_intent(
        order, payment
    ):
        _mark_cancelled(order, [payment])
    return None


def _mark_cancelled(order: Order, payments: list[Payment]) -> None:
    """Record that these PaymentIntents were cancelled at Stripe (unless paid meanwhile)."""
    if payments:
        Payment.objects.filter(
            order=order,
            pk__in=[payment.pk for payment in payments],
            status__in=[Payment.Status.PENDING, Payment.Status.FAILED],
        ).update(status=Payment.Status.CANCELLED, updated_at=timezone.now())


def card_payment_of(order: Order, intent: dict) -> Payment:
    """The order's payment row of a PaymentIntent, written (pending) if it is not yet:
    a retry that Stripe answered with the intent of the first try finds its row. Call it
    under the order's lock (two rows of one intent are never written)."""
    payment, _created = Payment.objects.get_or_create(
        order=order,
        kind=Payment.Kind.PAYMENT,
        stripe_payment_intent=intent["id"],
        defaults={
            "method": Payment.Method.CARD,
            "amount": from_cents(intent["amount"]),
            "status": Payment.Status.PENDING,
        },
    )
    return payment


# Changes and cancellations


def settle_card_difference(order: Order) -> CardPayment | None:
    """After a change (or the cancelling) of a card order, make the money match its total.

    Stripe is never called while a transaction is open:

    1. Under the order's lock, for a moment: what is due; the open PaymentIntents of
       another amount (stale); and, when too much was paid, the refunds to make, written
       at once as rows over the succeeded PaymentIntents, newest first (less those already
       written and not yet made): a settlement running at the same time finds them, so the
       same money is never given back twice. (What was paid otherwise, cash at pickup, is
       left to the manager.)
    2. At Stripe: cancel the stale PaymentIntents; make every refund row not yet made
       (this run's, and any a crash left), keyed by its row, so a retry makes it once.
    3. Under the order's lock: write what Stripe said.
    4. Paid too little on a placed order: start a PaymentIntent for the difference; the
       order page sends the household to the pay page. An order still awaiting payment
       gets its PaymentIntent when the household opens the pay page, and a weekly
       basket's order is charged at close (``orders.weekly_baskets.weekly.charge_at_close``).
    """
    if order.payment_method != Order.PaymentMethod.CARD:
        return None
    if not stripe_api.is_configured():
        logger.error("Order %s: card payment to settle but no Stripe keys", order.number)
        return None
    # 1.
    with transaction.atomic():
        order = lock_order(order.pk)
        due = amount_due(order)
        stale = [
            payment
            for payment in _open_intents(order)
            if payment.amount != due or not order.is_live
        ]
        to_make = sum((row.amount for row in _refunds_to_make(order)), ZERO)
        if due + to_make < 0:
            _owe_refunds(order, -(due + to_make))
        refunds = list(_refunds_to_make(order).order_by("pk"))
    # 2.
    cancelled = [payment for payment in stale if cancel_intent(order, payment)]
    made = [(row, _make_refund(order, row)) for row in refunds]
    # 3.
    with transaction.atomic():
        order = lock_order(order.pk)
        _mark_cancelled(order, cancelled)
        for row, refund in made:
            _refund_made(order, row, refund)
    # 4. A weekly basket's order is charged on its saved card at close, not asked for here.
    if due > 0 and order.status == Order.Status.PLACED and not order.weekly_basket_id:
        try:
            return start_card_payment(order)
        except (NothingToPay, PaymentUnderWay):
            return None
    return None


def refund_card_payments(order: Order) -> None:
    """Give back everything a cancelled order was paid by card (and drop unpaid intents)."""
    order.refresh_from_db(fields=["status"])
    if order.is_live:
        raise OrderError(_("Only a cancelled order is refunded in full."))
    settle_card_difference(order)


def settle_intents_at_close(order: Order) -> str:
    """When the cycle closes, the PaymentIntents of an order still awaiting its card
    payment are settled for good.

    1. Each is asked of Stripe (a webhook may have been lost): one that succeeded is
       recorded as the webhook would (the order is placed); one still being processed by
       the bank leaves the order waiting for its webhook.
    2. Otherwise they are cancelled: a stale pay page can no longer take money, and the
       caller cancels the order (``orders.worker.scheduler``).

    Returns "paid", "processing", "unpaid" (intents cancelled, order to cancel) or
    "unchanged". Safe to call twice.
    """
    order.refresh_from_db(fields=["status"])
    if order.status != Order.Status.AWAITING_PAYMENT:
        return "unchanged"
    hub = order.cycle.hub
    processing = False
    for payment in _open_intents(order).order_by("pk"):
        intent = stripe_api.retrieve_payment_intent(
            hub=hub, payment_intent_id=payment.stripe_payment_intent
        )
        if intent["status"] == "succeeded":
            # Read on the hub's account: checked like a webhook, currency and amount.
            source = Source(
                f"close:{intent['id']}", "payment_intent.succeeded", stripe_api.account_of(hub)
            )
            with transaction.atomic():
                _payment_succeeded(intent, source)
        elif intent["status"] in UNDER_WAY_STATES:
            processing = True
    order.refresh_from_db(fields=["status"])
    if order.status != Order.Status.AWAITING_PAYMENT:
        return "paid"
    if processing:
        return "processing"
    for payment in _open_intents(order).order_by("pk"):
        if not cancel_intent(order, payment):
            return "processing"  # paid at the very last moment: its webhook will tell
        Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.CANCELLED)
    return "unpaid"


def settle_card_difference_on_commit(order: Order) -> None:
    """Settle in the worker once the change has committed. A Stripe outage is logged and
    retried, never raised: the household's change stands, and the order shows what is paid
    and what is due."""
    order_id = order.pk
    transaction.on_commit(lambda: settle_card_payments(order_id=order_id), robust=True)


refund_card_payments_on_commit = settle_card_difference_on_commit


def _owe_refunds(order: Order, amount: Decimal) -> None:
    """Write the refunds of ``amount`` over the order's paid PaymentIntents, newest first,
    as pending rows not yet made at Stripe (call it under the order's lock)."""
    paid = order.payments.filter(
        method=Payment.Method.CARD, kind=Payment.Kind.PAYMENT, status=Payment.Status.SUCCEEDED
    ).exclude(stripe_payment_intent="")
    # Every refund of these charges, the order's and its household's balance's (which
    # names no order: orders.billing.refunds).
    refunded = list(
        Payment.objects.filter(
            kind=Payment.Kind.REFUND,
            status__in=[Payment.Status.PENDING, Payment.Status.SUCCEEDED],
            stripe_payment_intent__in=paid.values("stripe_payment_intent"),
        )
    )
    left = amount
    for payment in paid.order_by("-created_at", "-pk"):
        intent_id = payment.stripe_payment_intent
        already = sum((r.amount for r in refunded if r.stripe_payment_intent == intent_id), ZERO)
        part = min(payment.amount - already, left)
        if part <= 0:
            continue
        Payment.objects.create(
            order=order,
            method=Payment.Method.CARD,
            kind=Payment.Kind.REFUND,
            amount=part,
            status=Payment.Status.PENDING,
            stripe_payment_intent=payment.stripe_payment_intent,
        )
        left -= part
        if left <= 0:
            break
    if left > 0:
        logger.warning("Order %s: %s to give back was not paid by card", order.number, left)


def _make_refund(order: Order, row: Payment) -> dict[str, Any] | None:
    """Make a refund row at Stripe (keyed by the row: made once, however often asked).
    None when Stripe refuses it (already refunded on Stripe's dashboard, say); a network
    error or an outage is raised, and the row waits for the next settlement."""
    try:
        return stripe_api.create_refund(
            hub=order.cycle.hub,
            payment_intent_id=row.stripe_payment_intent,
            amount_cents=to_cents(row.amount),
            idempotency_key=idempotency_key(order, "refund", row.pk),
            metadata={"order_number": order.number, "payment_row": row.pk},
        )
    except stripe_api.InvalidRequestError:
        logger.exception("Order %s: Stripe refused refund %s", order.number, row.pk)
        return None


def _refund_made(order: Order, row: Payment, refund: dict | None) -> None:
    """What Stripe said of one of our refund rows (its webhook may have said it first)."""
    row = Payment.objects.select_for_update().get(pk=row.pk)
    if refund is None:
        if not row.stripe_refund and row.status == Payment.Status.PENDING:
            row.status = Payment.Status.FAILED
            row.save(update_fields=["status", "updated_at"])
        return
    _set_refund(order, row, refund, by_us=True)


def _set_refund(order: Order | None, row: Payment, refund: dict, *, by_us: bool) -> None:
    """Write a Stripe refund's id and status in its row; its history entry, once (a
    refund of a balance names no order, and has none). When a refund of a balance
    fails, the listeners give the credit back (``on_balance_refund_failed``)."""
    status = REFUND_STATUSES.get(refund.get("status"), Payment.Status.PENDING)
    first = not row.stripe_refund
    was = row.status
    if first or row.status != status:
        row.stripe_refund = refund["id"]
        row.status = status
        if status in GIVEN_UP:
            row.failure = str(refund.get("failure_reason") or status)[:255]
        row.save(update_fields=["stripe_refund", "status", "failure", "updated_at"])
    if first and order is not None:
        OrderEvent.objects.create(
            order=order,
            kind=OrderEvent.Kind.REFUND,
            detail=f"card {row.amount} {refund['id']}" + ("" if by_us else " (Stripe)"),
        )
    if row.customer_id and status in GIVEN_UP and was not in GIVEN_UP:
        for listener in BALANCE_REFUND_FAILED:
            listener(row)


def record_refund_made(row: Payment, refund: dict) -> None:
    """What Stripe answered when one of our refund rows was made (call it in a
    transaction, the row locked)."""
    _set_refund(row.order, row, refund, by_us=True)


# A refund Stripe could not make, or gave up on (a card expired since).
GIVEN_UP = {Payment.Status.FAILED, Payment.Status.CANCELLED}

# Called in the transaction that records that a refund of a balance failed, with its row:
# the balance keeps the money (orders.billing.refunds registers the one that does it).
BALANCE_REFUND_FAILED: list[Callable[[Payment], None]] = []


def on_balance_refund_failed(listener: Callable[[Payment], None]) -> None:
    if listener not in BALANCE_REFUND_FAILED:
        BALANCE_REFUND_FAILED.append(listener)


# Called in the transaction that records a refund of a top-up made on Stripe's dashboard
# (not by us), with its new row: the balance gives that money out.
BALANCE_REFUNDED_ON_STRIPE: list[Callable[[Payment], None]] = []


def on_balance_refunded_on_stripe(listener: Callable[[Payment], None]) -> None:
    if listener not in BALANCE_REFUNDED_ON_STRIPE:
        BALANCE_REFUNDED_ON_STRIPE.append(listener)


def _our_refund_row(payment_intent_id: str, refund: dict) -> Payment | None:
    """Our row (locked) of a refund of this PaymentIntent Stripe tells of: found by the
    refund's id, or by the row it names (whose id we may not have written yet). The
    order's refunds, and its household's balance's (which name no order)."""
    rows = Payment.objects.select_for_update().filter(
        kind=Payment.Kind.REFUND, stripe_payment_intent=payment_intent_id
    )
    row = rows.filter(stripe_refund=refund["id"]).first()
    ours = (refund.get("metadata") or {}).get("payment_row", "")
    if row is None and ours.isascii() and ours.isdigit() and len(ours) < 19:
        row = rows.filter(pk=int(ours), stripe_refund="").first()
    return row


def _record_refund(charge: Payment, refund: dict) -> None:
    """A refund Stripe tells of by webhook: one of ours, or one a manager made on
    Stripe's dashboard (recorded against what the charge paid: its order, or the
    household's balance for a top-up)."""
    payment_intent_id = charge.stripe_payment_intent
    row = _our_refund_row(payment_intent_id, refund)
    by_us = row is not None
    if row is None:
        row = Payment.objects.create(
            order_id=charge.order_id,
            customer_id=None if charge.order_id else charge.customer_id,
            method=Payment.Method.CARD,
            kind=Payment.Kind.REFUND,
            amount=from_cents(refund["amount"]),
            status=Payment.Status.PENDING,
            stripe_payment_intent=payment_intent_id,
        )
        if row.customer_id and REFUND_STATUSES.get(refund.get("status")) not in GIVEN_UP:
            # A top-up refunded on Stripe's dashboard: the money left the balance.
            for listener in BALANCE_REFUNDED_ON_STRIPE:
                listener(row)
    _set_refund(row.order, row, refund, by_us=by_us)


# Webhooks


class Source(NamedTuple):
    """Where what a handler applies comes from: a webhook event, or the closing reading a
    PaymentIntent from Stripe itself. ``account`` is the Stripe account it was made on
    (None: the platform's own)."""

    event_id: str
    event_type: str
    account: str | None


def source_of(event: dict[str, Any]) -> Source:
    return Source(event["id"], event["type"], event.get("account") or None)


def handle_event(event: dict[str, Any]) -> bool:
    """Apply a verified Stripe event once. Returns False for a replay or an ignored type.

    The event id is recorded in the same transaction as its effect, so a replay (or two
    deliveries racing) changes nothing; unknown types are recorded and ignored. An event
    that does not match what it names (another account, currency or amount) is recorded
    for the hub's managers instead of applied (``PaymentAnomaly``), and counts as handled.
    """
    source = source_of(event)
    obj = event["data"]["object"]
    if StripeEvent.objects.filter(event_id=source.event_id).exists():
        return False
    fetch = FETCH_FIRST.get(source.event_type)
    if fetch is not None:
        obj = fetch(obj, source)  # a network call: before the transaction, never inside it
    handler = HANDLERS.get(source.event_type)
    with transaction.atomic():
        _event, created = StripeEvent.objects.get_or_create(
            event_id=source.event_id, defaults={"type": source.event_type[:100]}
        )
        if not created:
            return False
        if handler is None:
            return False
        handler(obj, source)
    return True


# What an event must match before it is applied


def _euros(cents: int) -> str:
    return f"{from_cents(cents)} {stripe_api.CURRENCY.upper()}"


def is_hubs_account(hub, source: Source) -> bool:
    return source.account == stripe_api.account_of(hub)


def mismatch(
    source: Source,
    *,
    hub,
    stripe_object: str,
    currency: str | None = None,
    expected_cents: int | None = None,
    received_cents: int | None = None,
    order: Order | None = None,
) -> PaymentAnomaly | None:
    """Check an event against the hub (and the amount we expect of it): the hub's Stripe
    account, euros, the amount. The first thing that does not match is recorded for the
    hub's managers (once per event) and returned: the caller then applies nothing."""
    expected_account = stripe_api.account_of(hub)
    if source.account != expected_account:
        # "" stands for the platform's own account (an event without ``account``).
        problem = (PaymentAnomaly.Problem.ACCOUNT, expected_account or "", source.account or "")
    elif currency is not None and currency.lower() != stripe_api.CURRENCY:
        problem = (PaymentAnomaly.Problem.CURRENCY, stripe_api.CURRENCY.upper(), currency.upper())
    elif expected_cents is not None and received_cents != expected_cents:
        problem = (
            PaymentAnomaly.Problem.AMOUNT,
            _euros(expected_cents),
            _euros(received_cents or 0) if received_cents is not None else "-",
        )
    else:
        return None
    kind, expected, received = problem
    anomaly, _created = PaymentAnomaly.objects.get_or_create(
        event_id=source.event_id[:255],
        defaults={
            "hub": hub,
            "order": order,
            "event_type": source.event_type[:100],
            "stripe_object": stripe_object[:255],
            "problem": kind,
            "expected": str(expected)[:100],
            "received": str(received)[:100],
        },
    )
    logger.warning(
        "Stripe %s %s (%s) not applied: %s, expected %s, received %s",
        source.event_type,
        source.event_id,
        stripe_object,
        kind,
        expected,
        received,
    )
    return anomaly


# PaymentIntents


# PaymentIntents that pay something else than an order (credit topped up: a ``purpose`` in
# their metadata) are handled by the part of the project that made them, registered here
# (``register_purpose``): (succeeded, failed) handlers, called like those below.
PURPOSES: dict[str, tuple[Callable[[dict, Source], None], Callable[[dict, Source], None]]] = {}


def register_purpose(purpose: str, *, succeeded, failed) -> None:
    if PURPOSES.get(purpose, (succeeded, failed)) != (succeeded, failed):
        raise ValueError(f"PaymentIntents for {purpose!r} already have handlers")
    PURPOSES[purpose] = (succeeded, failed)


def _purpose_handlers(intent: dict):
    """The handlers of a PaymentIntent made for a registered purpose; None for an order's."""
    purpose = (intent.get("metadata") or {}).get("purpose")
    if not purpose:
        return None
    if purpose not in PURPOSES:
        logger.warning("Stripe PaymentIntent %s: unknown purpose %r", intent["id"], purpose)
        return (_ignored, _ignored)
    return PURPOSES[purpose]


def _ignored(intent: dict, source: Source) -> None:
    pass


def _order_of(intent: dict) -> tuple[Order, Payment | None] | None:
    """The order a PaymentIntent pays, with its payment row if we wrote one."""
    payment = (
        Payment.objects.filter(
            kind=Payment.Kind.PAYMENT, stripe_payment_intent=intent["id"], order__isnull=False
        )
        .select_related("order")
        .order_by("pk")
        .first()
    )
    if payment is not None:
        return payment.order, payment
    # Stripe created it but we crashed before writing its row: the metadata names the order.
    number = (intent.get("metadata") or {}).get("order_number")
    order = Order.objects.filter(number=number).first() if number else None
    if order is None or order.payment_method != Order.PaymentMethod.CARD:
        logger.warning("Stripe PaymentIntent %s matches no order", intent["id"])
        return None
    return order, None


def _locked_payment(intent: dict, source: Source, received_cents: int):
    """The order (locked) and payment row of a PaymentIntent an event tells of, once the
    event is checked against them; None when it matches no order or does not match it.

    Our row says the amount to expect. Without one (Stripe made the PaymentIntent, we
    crashed before writing its row), the metadata names the order, and the amount must
    be what the order owes: the row is then written.
    """
    found = _order_of(intent)
    if found is None:
        return None
    order, payment = found
    # The order first, as services do, then the payment: always the same order of locks.
    order = lock_order(order.pk)
    if payment is None:
        # A saved card charged at close (orders.weekly_baskets.weekly) writes its row under
        # the order's lock right after Stripe answers: wait for it rather than write a
        # second one.
        payment = Payment.objects.filter(
            kind=Payment.Kind.PAYMENT, stripe_payment_intent=intent["id"]
        ).first()
    if payment is not None:
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
    expected = to_cents(payment.amount) if payment is not None else to_cents(amount_due(order))
    if mismatch(
        source,
        hub=order.cycle.hub,
        order=order,
        stripe_object=intent["id"],
        currency=intent.get("currency"),
        expected_cents=expected,
        received_cents=received_cents,
    ):
        return None
    if payment is None:
        payment = Payment.objects.create(
            order=order,
            method=Payment.Method.CARD,
            amount=from_cents(intent["amount"]),
            stripe_payment_intent=intent["id"],
        )
    return order, payment


def _payment_succeeded(intent: dict, source: Source) -> None:
    handlers = _purpose_handlers(intent)
    if handlers is not None:
        handlers[0](intent, source)
        return
    received = intent.get("amount_received") or intent["amount"]
    found = _locked_payment(intent, source, received)
    if found is None:
        return
    order, payment = found
    if payment.status == Payment.Status.SUCCEEDED:
        return
    payment.amount = from_cents(received)
    payment.status = Payment.Status.SUCCEEDED
    payment.save(update_fields=["amount", "status", "updated_at"])
    event = OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        detail=f"card {payment.amount} {payment.stripe_payment_intent}",
    )
    due = amount_due(order)
    if order.status == Order.Status.AWAITING_PAYMENT and due <= 0:
        order.status = Order.Status.PLACED
        order.save(update_fields=["status", "updated_at"])
        owe_order_email(order, event, "confirmation")
    if due < 0:
        # Paid on a stale page after a change, or after cancelling: give the excess back.
        settle_card_difference_on_commit(order)


def _payment_failed(intent: dict, source: Source) -> None:
    handlers = _purpose_handlers(intent)
    if handlers is not None:
        handlers[1](intent, source)
        return
    found = _locked_payment(intent, source, intent["amount"])
    if found is None:
        return
    order, payment = found
    if payment.status != Payment.Status.PENDING:
        return  # a late failure of an attempt that later succeeded changes nothing
    payment.status = Payment.Status.FAILED
    payment.save(update_fields=["status", "updated_at"])
    error = (intent.get("last_payment_error") or {}).get("message", "")
    OrderEvent.objects.create(
        order=order,
        kind=OrderEvent.Kind.PAYMENT,
        detail=f"card payment failed {payment.stripe_payment_intent} {error}"[:500],
    )


# Refunds


def _paid_by_charge(charge: dict) -> Payment | None:
    return (
        Payment.objects.filter(
            kind=Payment.Kind.PAYMENT, stripe_payment_intent=charge.get("payment_intent") or "-"
        )
        .select_related("order__cycle__hub", "customer__hub")
        .order_by("pk")
        .first()
    )


def hub_of(payment: Payment):
    """The hub a payment was made to: its order's, or its household's (a top-up)."""
    return payment.order.cycle.hub if payment.order_id else payment.customer.hub


def _lock_charge(payment: Payment) -> Order | None:
    """Lock what a charge paid before its refunds change: its order, as services do, or
    the charge's own row when it paid a balance (a top-up). Returns the order."""
    if payment.order_id:
        return lock_order(payment.order_id)
    Payment.objects.select_for_update().filter(pk=payment.pk).first()
    return None


def _charge_refunded(charge: dict, source: Source) -> None:
    """Stripe's refunds of a charge, each recorded once, if they are in euros on the hub's
    account and do not give back more than was paid."""
    payment = _paid_by_charge(charge)
    if payment is None:
        logger.warning("Stripe charge %s matches no payment", charge.get("id"))
        return
    order = _lock_charge(payment)
    refunds = charge["refunds"]["data"]
    currencies = {charge["currency"], *(r["currency"] for r in refunds if r.get("currency"))}
    odd_currency = next((c for c in currencies if c.lower() != stripe_api.CURRENCY), None)
    paid = to_cents(payment.amount)
    refunded = sum(refund["amount"] for refund in refunds)
    if mismatch(
        source,
        hub=hub_of(payment),
        order=order,
        stripe_object=charge["id"],
        currency=odd_currency or stripe_api.CURRENCY,
        # More given back than was paid is not a refund of this payment.
        expected_cents=paid if refunded > paid else None,
        received_cents=refunded,
    ):
        return
    for refund in refunds:
        _record_refund(payment, refund)


def _refund_updated(refund: dict, source: Source) -> None:
    """A refund's status changed at Stripe (``refund.updated``): a refund made may fail
    later, when the card it goes back to has expired. Only our refunds are followed (one
    made on Stripe's dashboard is recorded by ``charge.refunded``)."""
    charge = _paid_by_charge(refund)
    if charge is None:
        logger.warning("Stripe refund %s matches no payment", refund.get("id"))
        return
    _lock_charge(charge)
    if mismatch(
        source, hub=hub_of(charge), order=charge.order, stripe_object=refund["id"],
        currency=refund.get("currency") or stripe_api.CURRENCY,
    ):  # fmt: skip
        return
    row = _our_refund_row(charge.stripe_payment_intent, refund)
    if row is None:
        logger.warning("Stripe refund %s is not one of ours", refund["id"])
        return
    _set_refund(row.order, row, refund, by_us=True)


def _with_refunds(charge: dict, source: Source) -> dict:
    """Webhook charges no longer list their refunds (API 2022-11-15): ask Stripe for them
    (on the hub's account only: an event of another account is not asked about)."""
    refunds = charge.get("refunds") or {}
    if refunds.get("data") is not None and not refunds.get("has_more"):
        return charge
    payment = _paid_by_charge(charge)
    if payment is None or not is_hubs_account(hub_of(payment), source):
        return {**charge, "refunds": {"data": []}}
    data = stripe_api.list_refunds(hub=hub_of(payment), charge_id=charge["id"])
    return {**charge, "refunds": {"data": data}}


HANDLERS: dict[str, Callable[[dict, Source], None]] = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
    # A refund's status changed (a card expired since): the current event, its newer
    # variant, and the one of accounts on API versions before 2024.
    "refund.updated": _refund_updated,
    "refund.failed": _refund_updated,
    "charge.refund.updated": _refund_updated,
}


def register(event_type: str, handler: Callable[[dict, Source], None]) -> None:
    """Let another part of the project handle a kind of Stripe event (weekly baskets
    handle ``setup_intent.succeeded``). ``handle_event`` calls it inside the transaction
    that records the event, so it is applied once. One handler per kind of event."""
    if HANDLERS.get(event_type, handler) is not handler:
        raise ValueError(f"Stripe events {event_type!r} already have a handler")
    HANDLERS[event_type] = handler


# What some events need from Stripe before their handler runs (outside the transaction).
FETCH_FIRST: dict[str, Callable[[dict, Source], dict]] = {
    "charge.refunded": _with_refunds,
}


@db_task(retries=5, retry_delay=300)
def settle_card_payments(*, order_id: int):
    """In the worker: refund what an order was paid too much by card, or ask for the
    difference (``settle_card_difference``).

    A Stripe outage is logged and retried (five times, five minutes apart); the order
    meanwhile shows what is paid and what is due, so a manager can see it.
    """
    try:
        settle_card_difference(Order.objects.get(pk=order_id))
    except (stripe_api.StripeError, OrderError):
        logger.exception("Could not settle the card payments of order %s", order_id)
        raise
