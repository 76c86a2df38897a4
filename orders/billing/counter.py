"""Money received at the pickup point, with the change kept as the household's credit.

A household pays 20 € in cash for an order of 19.40 € and asks to keep the change: the
payment records the 20 € received (what the cash box holds), and a ledger entry gives the
household 0.60 € of credit, naming that payment. Cancelling the payment (a wrong tap)
takes the credit back with another entry.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orders.checkout import services as checkout
from orders.models import BalanceEntry, Order, Payment

from . import ledger
from .ledger import BillingError

ZERO = Decimal("0.00")


def record_payment(*, order: Order, method: str, amount, by, keep_change: bool = False):
    """Record ``amount`` received for ``order``; with ``keep_change``, what exceeds the
    amount still due becomes the household's credit. Returns (payment, credit entry or
    None)."""
    if keep_change and order.customer_id is None:
        raise BillingError(_("This order has no household record to keep credit for."))
    with transaction.atomic():
        # Locks the order and checks what is due; the lock holds until this commits, so
        # what was paid before it is the sum now less this payment.
        payment = checkout.record_payment(
            order=order, method=method, amount=amount, by=by, allow_over=keep_change
        )
        paid_before = checkout.paid_amount(payment.order) - payment.amount
        change = payment.amount - max(payment.order.total - paid_before, ZERO)
        entry = None
        if keep_change and change > 0:
            entry = ledger.add_entry(
                customer=payment.order.customer,
                kind=BalanceEntry.Kind.OVERPAYMENT,
                amount=change,
                key=f"overpayment:{payment.pk}",
                order=payment.order,
                payment=payment,
                by=by,
            )
    return payment, entry


def cancel_payment(*, payment: Payment, by) -> Payment:
    """Undo a payment recorded by mistake; the credit its change gave is taken back."""
    with transaction.atomic():
        payment = checkout.cancel_payment(payment=payment, by=by)
        if payment.status != Payment.Status.CANCELLED:
            return payment
        for entry in BalanceEntry.objects.filter(
            payment=payment, kind=BalanceEntry.Kind.OVERPAYMENT
        ).select_related("customer", "order"):
            # The same kind, the other way: a line correction is a change of what was sold
            # (an invoice counts it); this is not.
            ledger.add_entry(
                customer=entry.customer,
                kind=BalanceEntry.Kind.OVERPAYMENT,
                amount=-entry.amount,
                key=f"overpayment-cancelled:{payment.pk}",
                order=entry.order,
                payment=payment,
                reason=_("payment cancelled"),
                by=by,
            )
    return payment
