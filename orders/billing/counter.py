"""Money received at the pickup point (``dues`` says what is owed and how it is shared).

A household owes 19.40 € for its order and 2.40 € for last week's heavier chicken, and
hands over 22 €, asking to keep the change: the payment records the 22 € received (what
the cash box holds); a ledger entry says 2.40 € of it paid the debt, another that 0.20 €
is kept as credit, both naming the payment. A household with credit pays the order with
it first. Cancelling the payment (a wrong tap) adds the same entries the other way.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orders import ledger
from orders.checkout import services as checkout
from orders.ledger import BillingError
from orders.models import BalanceEntry, Customer, Order, Payment
from orders.stock import lock_order
from producers.templatetags.money import euros

from . import dues

ZERO = Decimal("0.00")


def owed_today(order: Order, *, paid: Decimal | None = None) -> dues.Owed:
    """What ``order``'s household owes at the pickup point now (``paid``: what the order
    is paid, when the caller has it)."""
    customer = (
        Customer.objects.only("pk", "balance").get(pk=order.customer_id)
        if order.customer_id
        else None
    )
    if paid is None:
        paid = checkout.paid_amount(order)
    return _owed(order, paid, customer)[0]


def _owed(order: Order, paid: Decimal, customer: Customer | None) -> tuple[dues.Owed, dict]:
    """What is owed for ``order``, and the food allocation purses' parts of the credit
    that pays it. A household's credit pays the order, within what its food allocation
    may pay (restricted to the eligible lines: ``ledger.credit_available``)."""
    if customer is None:
        return dues.owed(order, paid=paid, balance=ZERO), {}
    balance, parts = customer.balance, {}
    if balance > 0:
        left = dues.owed(order, paid=paid, balance=ZERO).order_left
        balance, parts = ledger.credit_available(
            customer=customer, balance=balance, order=order, up_to=left
        )
    return dues.owed(order, paid=paid, balance=balance), parts


def record_payment(*, order: Order, method: str, amount, by, keep_change: bool = False):
    """Record ``amount`` received for ``order`` at the pickup point: it pays the order
    (after the household's credit), then its debt; what is left is change, refused unless
    ``keep_change`` (then kept as credit). Returns (payment, the balance entries it made).
    """
    method, amount = checkout.checked_payment(method, amount)
    with transaction.atomic():
        order = lock_order(order.pk)
        if not order.is_live:
            raise BillingError(_("This order was cancelled."))
        customer = _locked_customer(order)
        owed, parts = _owed(order, checkout.paid_amount(order), customer)
        if order.payment_method != Order.PaymentMethod.AT_PICKUP and not owed.debt:
            raise BillingError(_("This order is paid by card online."))
        shared = owed.share(amount)
        if shared.change and not keep_change:
            raise BillingError(
                _("That is more than the %(due)s owed today.") % {"due": euros(owed.today)}
            )
        if shared.change and customer is None:
            raise BillingError(_("This order has no household record to keep credit for."))
        payment = checkout.add_payment(order=order, method=method, amount=amount, by=by)
        spent = {pk: -part for pk, part in parts.items()}
        entries = [
            ledger.add_entry(customer=customer, kind=kind, amount=value, key=f"{kind}:{payment.pk}",
                             order=order, payment=payment, by=by,
                             purses=spent if kind == BalanceEntry.Kind.CREDIT_USED else None)
            for kind, value in (
                (BalanceEntry.Kind.CREDIT_USED, -shared.credit_used),
                (BalanceEntry.Kind.SETTLED, shared.to_debt),
                (BalanceEntry.Kind.OVERPAYMENT, shared.change),
            )
            if value
        ]  # fmt: skip
    return payment, entries


def pay_with_credit(*, order: Order, by) -> BalanceEntry | None:
    """The household's credit pays what is left of the order (all of it, or what the
    credit covers); nothing is received. Tapping twice uses the credit once."""
    with transaction.atomic():
        order = lock_order(order.pk)
        checkout.check_payable_at_pickup(order)
        customer = _locked_customer(order)
        if customer is None:
            raise BillingError(_("This order has no household record with credit."))
        owed = _owed(order, checkout.paid_amount(order), customer)[0]
        if not owed.credit_used:
            return None
        return ledger.use_credit(customer=customer, order=order, up_to=owed.credit_used, by=by)


def cancel_payment(*, payment: Payment, by) -> Payment:
    """Undo a payment recorded by mistake: the entries it made (credit used, debt paid,
    change kept) are added again the other way."""
    with transaction.atomic():
        payment = checkout.cancel_payment(payment=payment, by=by)
        if payment.status != Payment.Status.CANCELLED:
            return payment
        for entry in BalanceEntry.objects.filter(payment=payment).select_related(
            "customer", "order"
        ):
            if entry.key.startswith("cancelled:"):
                continue
            ledger.add_entry(
                customer=entry.customer,
                kind=entry.kind,
                amount=-entry.amount,
                key=f"cancelled:{entry.key}",
                order=entry.order,
                payment=payment,
                reason=_("payment cancelled"),
                by=by,
                purses={pk: -amount for pk, amount in ledger.purses_of(entry).items()},
            )
    return payment


def _locked_customer(order: Order) -> Customer | None:
    if order.customer_id is None:
        return None
    return Customer.objects.select_for_update().get(pk=order.customer_id)
