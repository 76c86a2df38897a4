"""Credit given back to the card that paid: what a hub owes a household, refunded.

A hub chooses what happens to money owed back after an adjustment (``Hub.money_owed_back``):
kept as credit (nothing to do, the adjustment's entry is the credit), or refunded to the
card that paid the order. A manager may also refund a household's credit by hand.

A refund moves credit out of the balance: a refund row (``Payment``, kind ``refund``, over
one card charge, naming the customer and not the order: the order's total and payments
stay as agreed at checkout) and an entry ``refund`` of minus its amount naming that row.
Never more than the household's credit, never more than a charge less what was refunded
of it. How it runs (Stripe is never called while a transaction is open):

1. Under the customer's lock, what to refund, and the rows and their entries, written
   before the refund is made: a second run finds the credit gone and writes nothing, and
   each row's ``key`` names its cause and charge (the same cause never writes twice).
2. At Stripe, every row of the customer not yet made (this run's, and any a crash left),
   with an idempotency key derived from the row's key: a run killed after Stripe made the
   refund and before we wrote it is made again as the same refund.
3. Each row, under its lock: what Stripe said. A refusal (the card expired, the charge was
   refunded on Stripe's dashboard), now or later by webhook (``refund.updated``), gives the
   credit back with an entry the other way; the row says why, and the managers see it. A
   network error leaves the row to make: the worker tries again.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from huey.contrib.djhuey import db_task

from foodhub.hubs.models import Hub
from foodhub.hubs.selectors import hubs_managed_by
from orders import ledger
from orders.ledger import BillingError
from orders.models import BalanceEntry, Customer, Order, OrderCycle, Payment
from orders.models.billing import ADJUSTMENT_KINDS
from orders.money import payments, stripe_api
from orders.pricing import to_cents

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
# A refund row counts against its charge while it is to make, under way, or made.
COUNTED = (Payment.Status.PENDING, Payment.Status.SUCCEEDED)


# Why Stripe gives up on a refund (``failure_reason``), as the managers read it.
FAILURES = {
    "expired_or_canceled_card": gettext_lazy("the card has expired or was cancelled"),
    "lost_or_stolen_card": gettext_lazy("the card was reported lost or stolen"),
    "declined": gettext_lazy("the bank declined the refund"),
    "charge_for_pending_refund_disputed": gettext_lazy("the payment is disputed"),
    "insufficient_funds": gettext_lazy("the hub's Stripe balance is too low"),
    "merchant_request": gettext_lazy("cancelled on Stripe's dashboard"),
}


def failure_shown(row: Payment) -> str:
    """Why a refund failed, in the reader's language when Stripe's reason is known."""
    return str(FAILURES.get(row.failure, row.failure))


class RefundError(BillingError):
    """A refund that cannot be made; the message says why."""


@dataclass(frozen=True)
class Charge:
    """A card charge of a household, and what of it may still be refunded."""

    payment: Payment
    refundable: Decimal


def refundable_charges(customer: Customer, *, order: Order | None = None) -> list[Charge]:
    """The household's card charges at its hub (its orders' and its top-ups; ``order``'s
    only, when given), newest first, each with what was charged less every refund of it
    (the order's and the balance's, made or to make)."""
    charges = Payment.objects.filter(
        method=Payment.Method.CARD,
        kind=Payment.Kind.PAYMENT,
        status=Payment.Status.SUCCEEDED,
    ).exclude(stripe_payment_intent="")
    if order is not None:
        charges = charges.filter(order=order)
    else:
        charges = charges.filter(Q(order__customer=customer) | Q(customer=customer))
    charges = list(charges.select_related("order").order_by("-created_at", "-pk"))
    refunded = dict(
        Payment.objects.filter(
            kind=Payment.Kind.REFUND,
            status__in=COUNTED,
            stripe_payment_intent__in=[charge.stripe_payment_intent for charge in charges],
        )
        .values_list("stripe_payment_intent")
        .annotate(total=Sum("amount"))
    )
    found = []
    for charge in charges:
        left = charge.amount - Decimal(refunded.get(charge.stripe_payment_intent) or 0).quantize(
            ledger.CENT
        )
        if left > 0:
            found.append(Charge(charge, left))
    return found


def owed_back(order: Order) -> Decimal:
    """What the order's adjustments (and credit notes) owe the household and is not
    refunded yet (their entries plus its refunds' entries, which are negative)."""
    kinds = (*ADJUSTMENT_KINDS, BalanceEntry.Kind.CREDIT_NOTE, BalanceEntry.Kind.REFUND)
    total = BalanceEntry.objects.filter(order=order, kind__in=kinds).aggregate(total=Sum("amount"))[
        "total"
    ]
    return Decimal(total or 0).quantize(ledger.CENT)


# Money owed back after an adjustment (the hub's choice)


def refund_owed(*, order: Order | None = None, cycle: OrderCycle | None = None) -> list[int]:
    """After adjustments are applied (or made final): have the worker refund to their
    cards what ``order`` (or each order of ``cycle``) is owed back, when its hub refunds
    to the card. Returns the ids of the orders queued. Safe to call again: each order is
    refunded what it is owed and not refunded yet."""
    if (order is None) == (cycle is None):
        raise ValueError("give an order or a cycle")
    orders = Order.objects.filter(pk=order.pk) if order is not None else cycle.orders.all()
    ids = list(
        orders.filter(
            payment_method=Order.PaymentMethod.CARD,
            customer__isnull=False,
            cycle__hub__money_owed_back=Hub.MoneyOwedBack.REFUND_TO_CARD,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if ids:
        transaction.on_commit(lambda: refund_owed_back(order_ids=ids), robust=True)
    return ids


@db_task(retries=5, retry_delay=300)
def refund_owed_back(*, order_ids: list[int]):
    """In the worker: refund each order what it is owed back (``refund_order``). A Stripe
    outage leaves the refunds to make and is raised at the end, so Huey tries again (five
    times, five minutes apart); what was made is never made twice."""
    failed = None
    for order in Order.objects.filter(pk__in=order_ids).select_related("cycle__hub", "customer"):
        try:
            refund_order(order)
        except stripe_api.StripeError as error:
            logger.exception("Could not refund order %s to its card", order.number)
            failed = error
    if failed is not None:
        raise failed


def refund_order(order: Order) -> list[Payment]:
    """Refund to its card what ``order`` is owed back after its adjustments, if its hub
    refunds to the card: at most the household's credit, at most what the order's card
    charges hold less their refunds. Returns the refund rows of this customer made (or
    refused) by this run."""
    if not stripe_api.is_configured():
        logger.error("Order %s: money owed back but no Stripe keys: kept as credit", order.number)
        return []
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=order.customer_id)
        order = Order.objects.select_related("cycle__hub").get(pk=order.pk)
        if order.cycle.hub.money_owed_back != Hub.MoneyOwedBack.REFUND_TO_CARD:
            return []
        # Food allocation credit is never paid out: only the household's own credit.
        amount = min(owed_back(order), ledger.own_credit(customer))
        if amount > 0:
            last = (
                BalanceEntry.objects.filter(order=order, kind__in=ADJUSTMENT_KINDS)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            _write_refunds(
                customer,
                refundable_charges(customer, order=order),
                amount,
                key=f"owed:{order.pk}:{last}",
                reason=_("owed back after an adjustment of order %(number)s")
                % {"number": order.number},
            )
    return make_refunds(customer)


# A manager's refund of a household's credit


def refund_balance(*, customer: Customer, amount, reason: str, token: str, by) -> list[Payment]:
    """Refund ``amount`` of the household's credit to the cards it paid the hub with,
    over its charges newest first; a manager of the customer's hub only, saying why.
    Returns the refund rows made (or refused: their ``failure`` says why)."""
    reason = (reason or "").strip()
    amount = ledger._checked(amount)
    if not by.is_authenticated or not hubs_managed_by(by).filter(pk=customer.hub_id).exists():
        raise RefundError(_("Only the hub's managers can refund a household's credit."))
    if not reason:
        raise RefundError(_("Say why the credit is refunded."))
    if amount < 0:
        raise RefundError(_("A refund gives money back: enter a positive amount."))
    if not stripe_api.is_configured():
        raise RefundError(_("Card refunds are not available: Stripe is not set up."))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if amount > customer.balance:
            raise RefundError(
                _("The household's credit is %(credit)s €: a refund cannot be larger.")
                % {"credit": number_format(max(customer.balance, ZERO), 2)}
            )
        own = ledger.own_credit(customer)
        if amount > own:
            raise RefundError(
                _(
                    "Only %(own)s € of the credit is the household's own money: food aid "
                    "credit is never paid out."
                )
                % {"own": number_format(own, 2)}
            )
        charges = refundable_charges(customer)
        refundable = sum((charge.refundable for charge in charges), ZERO)
        if amount > refundable:
            raise RefundError(
                _(
                    "Only %(left)s € was paid by card and not refunded yet: a refund "
                    "cannot be larger than the charge."
                )
                % {"left": number_format(refundable, 2)}
            )
        _write_refunds(
            customer, charges, amount, key=f"manual:{customer.pk}:{token}", reason=reason, by=by
        )
    return make_refunds(customer)


@db_task(retries=5, retry_delay=300)
def make_refunds_task(*, customer_id: int):
    """In the worker: the refunds of a customer's credit Stripe could not be asked for."""
    make_refunds(Customer.objects.get(pk=customer_id))


def make_refunds_later(customer: Customer) -> None:
    customer_id = customer.pk
    transaction.on_commit(lambda: make_refunds_task(customer_id=customer_id), robust=True)


# The three steps


def _write_refunds(customer, charges, amount, *, key: str, reason: str, by=None) -> None:
    """Step 1 (under the customer's lock): the refund rows of ``amount`` over ``charges``,
    newest first, and their entries. A row already written for this cause and charge (a
    form sent twice) is not written again."""
    left = amount
    for charge in charges:
        if left <= 0:
            break
        part = min(charge.refundable, left)
        row_key = f"{key}:{charge.payment.pk}"
        if Payment.objects.filter(key=row_key).exists():
            return
        row = Payment.objects.create(
            customer=customer,
            method=Payment.Method.CARD,
            kind=Payment.Kind.REFUND,
            amount=part,
            status=Payment.Status.PENDING,
            stripe_payment_intent=charge.payment.stripe_payment_intent,
            key=row_key,
            recorded_by=by,
        )
        ledger.add_entry(
            customer=customer,
            kind=BalanceEntry.Kind.REFUND,
            amount=-part,
            key=f"refund:{row.pk}",
            order=charge.payment.order,
            payment=row,
            reason=reason,
            by=by,
        )
        left -= part


def _to_make(customer: Customer):
    return Payment.objects.filter(
        customer=customer,
        kind=Payment.Kind.REFUND,
        status=Payment.Status.PENDING,
        stripe_refund="",
    ).order_by("pk")


def stripe_key(row: Payment) -> str:
    """The idempotency key of a refund row at Stripe: its cause and charge (the charge's
    id, unique at Stripe, keeps two installations on one test account apart)."""
    return f"foodhub-refund-{row.stripe_payment_intent}-{row.key}"[:255]


def make_refunds(customer: Customer) -> list[Payment]:
    """Steps 2 and 3: make at Stripe every refund of the customer's credit not yet made.
    A network error or an outage is raised once the others are made (their rows wait for
    the next run); a refusal gives the credit back."""
    hub = Hub.objects.get(pk=customer.hub_id)
    done, outage = [], None
    for row in _to_make(customer):
        try:
            refund = stripe_api.create_refund(
                hub=hub,
                payment_intent_id=row.stripe_payment_intent,
                amount_cents=to_cents(row.amount),
                idempotency_key=stripe_key(row),
                metadata={"purpose": "balance", "payment_row": row.pk},
            )
        except (stripe_api.InvalidRequestError, stripe_api.CardError) as error:
            logger.warning("Stripe refused refund row %s: %s", row.pk, error)
            done.append(_refused(row, getattr(error, "user_message", None) or str(error)))
            continue
        except stripe_api.StripeError as error:
            outage = error
            continue
        with transaction.atomic():
            row = Payment.objects.select_for_update().get(pk=row.pk)
            payments.record_refund_made(row, refund)
        done.append(row)
    if outage is not None:
        raise outage
    return done


def _refused(row: Payment, why: str) -> Payment:
    with transaction.atomic():
        row = Payment.objects.select_for_update().get(pk=row.pk)
        if row.status == Payment.Status.PENDING and not row.stripe_refund:
            row.status = Payment.Status.FAILED
            row.failure = why[:255]
            row.save(update_fields=["status", "failure", "updated_at"])
            give_credit_back(row)
    return row


def give_credit_back(row: Payment) -> None:
    """A refund of a balance that Stripe did not make, or gave up on: its credit is the
    household's again (once, whoever tells it first: our call or the webhook)."""
    made = BalanceEntry.objects.filter(key=f"refund:{row.pk}").select_related("order").first()
    if made is None:
        return  # the credit never left the balance
    ledger.add_entry(
        customer=Customer.objects.get(pk=row.customer_id),
        kind=BalanceEntry.Kind.REFUND,
        amount=row.amount,
        key=f"refund-failed:{row.pk}",
        order=made.order,
        payment=row,
        reason=_("card refund failed, the money stays as credit: %(why)s")
        % {"why": failure_shown(row) or "-"},
    )


def take_credit_refunded_on_stripe(row: Payment) -> None:
    """A top-up refunded on Stripe's dashboard: the money left, and the balance with it
    (it may go below zero, when the credit was spent meanwhile)."""
    ledger.add_entry(
        customer=Customer.objects.get(pk=row.customer_id),
        kind=BalanceEntry.Kind.REFUND,
        amount=-row.amount,
        key=f"refund:{row.pk}",
        payment=row,
        reason=_("refunded on Stripe's dashboard"),
    )


payments.on_balance_refund_failed(give_credit_back)
payments.on_balance_refunded_on_stripe(take_credit_refunded_on_stripe)
