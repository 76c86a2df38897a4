"""What a household owes at the pickup point today, and how money received is shared.

A household comes for its order with a balance at the hub: credit (change kept last week,
a lighter chicken) or a debt (a heavier one). What it owes today is what is left to pay of
the order, less the credit that pays it, plus the debt. Money received pays the order
first, then the debt; what is left over is change, kept as credit if the household wishes.

A card order's price is paid online: at the pickup point only a debt is paid.
"""

from dataclasses import dataclass
from decimal import Decimal

from orders.models import Order

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Owed:
    order_left: Decimal  # of the order's price, still to pay here
    balance: Decimal  # the household's balance with the hub (+ credit, − debt)
    card_left: Decimal = ZERO  # of a card order's price, not received online

    @property
    def credit_used(self) -> Decimal:
        """The credit that pays the order (all of it, or what the order needs)."""
        return min(max(self.balance, ZERO), self.order_left)

    @property
    def debt(self) -> Decimal:
        return max(-self.balance, ZERO)

    @property
    def today(self) -> Decimal:
        """What to ask the household for here."""
        return self.order_left - self.credit_used + self.debt

    @property
    def credit_left(self) -> Decimal:
        return max(self.balance, ZERO) - self.credit_used

    def share(self, received: Decimal) -> "Shared":
        """How ``received`` € is shared: the order's price (after the credit), then the
        debt, then change."""
        to_order = min(received, self.order_left - self.credit_used)
        to_debt = min(received - to_order, self.debt)
        return Shared(
            credit_used=self.credit_used if received else ZERO,
            to_order=to_order,
            to_debt=to_debt,
            change=received - to_order - to_debt,
        )


@dataclass(frozen=True)
class Shared:
    credit_used: Decimal
    to_order: Decimal
    to_debt: Decimal
    change: Decimal


def owed(order: Order, *, paid: Decimal, balance: Decimal) -> Owed:
    """What ``order``'s household owes today, the order having been paid ``paid`` (as
    ``checkout.paid_amount``) and the household's balance being ``balance``."""
    left = max(order.total - paid, ZERO) if order.is_live else ZERO
    if order.payment_method == Order.PaymentMethod.AT_PICKUP:
        return Owed(order_left=left, balance=balance)
    return Owed(order_left=ZERO, balance=balance, card_left=left)
