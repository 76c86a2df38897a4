"""The hub's view of its customers' balances: who is owed, who owes, and why."""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from foodhub.collation import french
from orders.models import Customer, Order, OrderLine

SHOWN = ("all", "debt", "credit")


def balances(hub, *, show: str = "all", search: str = "") -> QuerySet[Customer]:
    """The hub's customers, by name: all of them, those in debt, or those in credit;
    ``search`` in the name, e-mail address or phone."""
    customers = Customer.objects.filter(hub=hub)
    if show == "debt":
        customers = customers.filter(balance__lt=0)
    elif show == "credit":
        customers = customers.filter(balance__gt=0)
    search = search.strip()
    if search:
        customers = customers.filter(
            Q(full_name__icontains=search) | Q(email__icontains=search) | Q(phone__icontains=search)
        )
    return customers.order_by(french("full_name"), "pk")


def totals(hub) -> dict:
    """What the hub owes its customers in credit, what they owe it, and how many each."""
    found = Customer.objects.filter(hub=hub).aggregate(
        credit=Sum("balance", filter=Q(balance__gt=0)),
        debt=Sum("balance", filter=Q(balance__lt=0)),
        in_credit=Count("pk", filter=Q(balance__gt=0)),
        in_debt=Count("pk", filter=Q(balance__lt=0)),
    )
    zero = Decimal("0.00")
    return {
        "credit": Decimal(found["credit"] or zero).quantize(zero),
        "debt": -Decimal(found["debt"] or zero).quantize(zero),
        "in_credit": found["in_credit"],
        "in_debt": found["in_debt"],
    }


def lines_to_weigh(cycle, producer=None) -> QuerySet[OrderLine]:
    """The lines sold by weight of the cycle's placed orders (``producer``'s only, when
    given), by product, variant and household, with what the weighing page shows. An order
    still waiting for its card payment at the close is weighed once the worker settled it;
    a line of which nothing is delivered (a shortage, a correction) has nothing to weigh."""
    lines = OrderLine.objects.filter(
        order__cycle=cycle, order__status=Order.Status.PLACED, price_per_kg__isnull=False
    ).exclude(delivered_quantity=0)
    if producer is not None:
        lines = lines.filter(producer=producer)
    return lines.select_related("order").order_by(
        french("product_name"), french("variant_name"), french("order__full_name"), "pk"
    )


def weighing_counts(lines: QuerySet[OrderLine]) -> dict:
    """How many of ``lines`` there are, and how many are still to weigh."""
    return lines.aggregate(total=Count("pk"), left=Count("pk", filter=Q(actual_weight=None)))
