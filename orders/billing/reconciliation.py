"""Every euro accounted for: what was sold, against the money received, the households'
balances and what is still to collect, for a cycle or a period.

    sold − credit notes = received − change in balances + still to collect
                          (+ managers' corrections + food allocation from funders)

Each side is read on its own, from its own rows: what was sold from the order lines as
they are after the close (weights, quantities delivered) and the hub fee; the money from
the payments (card, cash, cheque, transfer; refunds deducted); the balances from their
entries; what is still to collect from each order's price less what paid it. When they do
not add up, a balance entry does not match a change of its order's lines (or a payment
was changed by hand): the report says by how much.

At solidarity prices (``orders.solidarity``) the households pay their tier's price and
the producers the full price: the hub's solidarity fund holds the difference, so

    sold = sold at full price + what the fund received

(``fund_difference`` is zero when its entries follow the lines).

A cycle's report counts its orders, their payments and the entries naming them. A
period's counts the orders of the cycles that closed in it, and the money that names no
order (credit topped up by card, managers' corrections) recorded in it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum

from orders.checkout.selectors import paid_by_order
from orders.models import (
    BalanceEntry,
    CreditNote,
    Invoice,
    Order,
    OrderCycle,
    OrderLine,
    Payment,
    SolidarityEntry,
)  # fmt: skip

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _cents(value) -> Decimal:
    # SQLite adds decimals up as floats: back to cents.
    return Decimal(value or 0).quantize(CENT)


@dataclass
class Report:
    sold: Decimal = ZERO  # the orders' final prices (lines after the close, hub fee)
    invoiced: Decimal = ZERO  # the invoices issued for them
    invoices: int = 0
    credited: Decimal = ZERO  # credit notes issued on those invoices
    orders: int = 0  # orders sold (placed, not cancelled)
    received: dict[str, Decimal] = field(default_factory=dict)  # by method, refunds deducted
    balances: dict[str, Decimal] = field(default_factory=dict)  # entries' sums, by kind
    to_collect: Decimal = ZERO  # of the orders' prices, not paid yet
    to_give_back: Decimal = ZERO  # paid more than the order costs (a card refund owed)
    sold_at_full_price: Decimal = ZERO  # the same lines at full price (what producers get)
    fund: Decimal = ZERO  # what the solidarity fund received from them (− what it gave)

    @property
    def fund_difference(self) -> Decimal:
        """Zero when the solidarity fund holds what the tiers moved."""
        return self.sold - self.sold_at_full_price - self.fund

    @property
    def received_total(self) -> Decimal:
        return sum(self.received.values(), ZERO)

    @property
    def manual(self) -> Decimal:
        """What managers gave (or took) by hand: neither a sale nor a payment."""
        return self.balances.get(BalanceEntry.Kind.MANUAL, ZERO)

    @property
    def funded(self) -> Decimal:
        """Food allocation credited to households: money from the programmes' funders."""
        return self.balances.get(BalanceEntry.Kind.ALLOCATION, ZERO)

    @property
    def balance_change(self) -> Decimal:
        """How much more the hub owes households after this (credit less debts)."""
        return sum(self.balances.values(), ZERO)

    @property
    def accounted(self) -> Decimal:
        """What the money says was sold."""
        return (
            self.received_total
            - self.balance_change
            + self.manual
            + self.funded
            + self.to_collect
            - self.to_give_back
        )

    @property
    def difference(self) -> Decimal:
        """Zero when every euro is accounted for."""
        return self.sold - self.credited - self.accounted

    @property
    def not_invoiced(self) -> Decimal:
        """Of what was sold, what no invoice says yet (all of it before the invoices are
        issued; nothing after, unless an invoice differs from its order)."""
        return self.sold - self.invoiced

    @property
    def balance_rows(self) -> list[tuple[str, Decimal]]:
        labels = dict(BalanceEntry.Kind.choices)
        return [(labels[kind], amount) for kind, amount in sorted(self.balances.items())]

    @property
    def received_rows(self) -> list[tuple[str, Decimal]]:
        labels = dict(Payment.Method.choices)
        return [(labels[method], amount) for method, amount in sorted(self.received.items())]


def for_cycle(cycle: OrderCycle) -> Report:
    return _report(Order.objects.filter(cycle=cycle))


def for_period(hub, start: datetime, end: datetime) -> Report:
    """The cycles of ``hub`` that closed in [start, end), and the money naming no order
    recorded then."""
    orders = Order.objects.filter(
        cycle__hub=hub, cycle__closes_at__gte=start, cycle__closes_at__lt=end
    )
    report = _report(orders)
    unlinked_payments = Payment.objects.filter(
        order__isnull=True, customer__hub=hub, created_at__gte=start, created_at__lt=end
    ).exclude(balance_entries__order__isnull=False)
    _add_payments(report, unlinked_payments)
    unlinked_entries = BalanceEntry.objects.filter(
        customer__hub=hub, order__isnull=True, created_at__gte=start, created_at__lt=end
    ).filter(Q(payment__isnull=True) | Q(payment__order__isnull=True))
    _add_entries(report, unlinked_entries)
    return report


def _report(orders) -> Report:
    report = Report()
    order_rows = list(orders.values("pk", "status", "total", "fee_total"))
    live = {row["pk"] for row in order_rows if row["status"] != Order.Status.CANCELLED}
    report.orders = sum(1 for row in order_rows if row["status"] == Order.Status.PLACED)
    report.sold = sum((row["fee_total"] for row in order_rows if row["pk"] in live), ZERO)
    report.sold_at_full_price = report.sold
    lines = OrderLine.objects.filter(order__in=live).only(
        "quantity", "delivered_quantity", "unit_price", "total", "price_per_kg", "actual_weight",
        "price_percent",
    )  # fmt: skip
    for line in lines.iterator(chunk_size=2000):
        report.sold += line.final_total
        report.sold_at_full_price += line.full_final_total
    fund = SolidarityEntry.objects.filter(order__in=orders).aggregate(total=Sum("amount"))
    report.fund = _cents(fund["total"])
    invoiced = Invoice.objects.filter(order__in=orders).aggregate(
        total=Sum("total_incl_vat"), count=Count("pk")
    )
    report.invoiced, report.invoices = _cents(invoiced["total"]), invoiced["count"]
    credited = CreditNote.objects.filter(order__in=orders).aggregate(total=Sum("total_incl_vat"))
    report.credited = _cents(credited["total"])

    paid = paid_by_order([row["pk"] for row in order_rows])
    for row in order_rows:
        left = (row["total"] if row["pk"] in live else ZERO) - paid.get(row["pk"], ZERO)
        if left > 0:
            report.to_collect += left
        else:
            report.to_give_back -= left
    # The orders' payments, and those naming a customer whose entry names one of the
    # orders (credit refunded to the card of the order's charge).
    moved_back = BalanceEntry.objects.filter(order__in=orders, payment__isnull=False)
    _add_payments(
        report,
        Payment.objects.filter(Q(order__in=orders) | Q(pk__in=moved_back.values("payment"))),
    )
    _add_entries(
        report,
        BalanceEntry.objects.filter(Q(order__in=orders) | Q(payment__order__in=orders)),
    )
    return report


def _add_payments(report: Report, payments) -> None:
    rows = (
        payments.filter(status=Payment.Status.SUCCEEDED)
        .values("method", "kind")
        .annotate(sum=Sum("amount"))
        .order_by()
    )
    received = defaultdict(lambda: ZERO, report.received)
    for row in rows:
        sign = 1 if row["kind"] == Payment.Kind.PAYMENT else -1
        received[row["method"]] += sign * _cents(row["sum"])
    report.received = dict(received)


def _add_entries(report: Report, entries) -> None:
    rows = entries.values("kind").annotate(sum=Sum("amount")).order_by()
    balances = defaultdict(lambda: ZERO, report.balances)
    for row in rows:
        balances[row["kind"]] += _cents(row["sum"])
    report.balances = dict(balances)
