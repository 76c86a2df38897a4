"""What happens to money after the close: each customer's balance with its hub, kept as a
ledger of entries that are added, never changed or removed."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer
from .orders import Order
from .payments import Payment


class BalanceEntryQuerySet(models.QuerySet):
    def moved_to_orders(self, order_ids) -> dict[int, Decimal]:
        """What each order received from the balance (credit used to pay it), less what its
        payments put into the balance (change kept, a debt settled with the same cash), in
        one query: with its payments, what the order itself is paid (orders left out when
        nothing moved)."""
        rows = self._transfers().filter(order__in=order_ids).values("order_id")
        rows = rows.annotate(sum=Sum("amount"))
        # SQLite adds decimals up as floats: back to cents.
        return {row["order_id"]: -Decimal(row["sum"]).quantize(CENT) for row in rows if row["sum"]}

    def moved_to_each_order(self) -> Subquery:
        """``moved_to_orders`` as a subquery of an order query (``OuterRef("pk")``): None
        when nothing moved."""
        moved = self._transfers().filter(order=OuterRef("pk")).values("order")
        moved = moved.annotate(net=Value(Decimal("0.00")) - Sum("amount")).values("net")
        return Subquery(moved, output_field=models.DecimalField(max_digits=10, decimal_places=2))

    def _transfers(self):
        return self.filter(kind__in=TRANSFER_KINDS)

    def update(self, **kwargs):
        raise TypeError("Balance entries are never changed: add another entry.")

    def delete(self):
        raise TypeError("Balance entries are never removed: add another entry.")


# Kinds of entries that are about an order, and those that are about a payment.
ORDER_KINDS = (
    "weight", "shortage", "correction", "overpayment", "credit_used", "settled", "credit_note",
)  # fmt: skip
PAYMENT_KINDS = ("overpayment", "top_up", "refund", "settled")
# Kinds that move money between an order's payments and the balance, the order's price
# unchanged: credit used to pay an order; the part of a payment kept as credit (change) or
# paying a debt. What an order is paid counts them (``moved_to_orders``). (A refund of
# credit to the card names the order whose charge it goes back to, but its payment names
# the customer, not the order: the order's payments are unchanged by it.)
TRANSFER_KINDS = ("credit_used", "overpayment", "settled")
# Kinds that change what was sold (what the household gets, at what price): an invoice
# counts them; ``sum(line.final_total) + order.fee_total == order.total - their sum``.
ADJUSTMENT_KINDS = ("weight", "shortage", "correction")
CENT = Decimal("0.01")


class BalanceEntry(models.Model):
    """A movement on a customer's balance with its hub.

    ``amount`` is what the hub owes the household after it: positive when the household
    is owed (change kept as credit, a lighter chicken, a product not delivered), negative
    when it owes (a heavier chicken, credit used for an order). The balance is the sum of
    the entries (``Customer.balance`` keeps it, in the same transaction: orders.billing).
    An entry names what caused it; a manager's correction says why.
    """

    class Kind(models.TextChoices):
        WEIGHT = "weight", _("weighed")
        SHORTAGE = "shortage", _("not delivered")
        CORRECTION = "correction", _("order line corrected")
        OVERPAYMENT = "overpayment", _("change kept as credit")
        TOP_UP = "top_up", _("credit topped up by card")
        REFUND = "refund", _("refunded")
        CREDIT_USED = "credit_used", _("credit used for an order")
        SETTLED = "settled", _("amount due paid")
        MANUAL = "manual", _("correction by a manager")
        CREDIT_NOTE = "credit_note", _("credit note")
        ALLOCATION = "allocation", _("food allocation credited")

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="balance_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="balance_entries"
    )
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="balance_entries"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    # What made it, written once: the same cause never adds a second entry (a retried
    # request, a worker run again after a crash).
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = BalanceEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("balance entry")
        verbose_name_plural = _("balance entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="balance_entry_not_zero"),
            models.CheckConstraint(
                condition=~Q(kind__in=ORDER_KINDS) | Q(order__isnull=False),
                name="balance_entry_names_its_order",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=PAYMENT_KINDS) | Q(payment__isnull=False),
                name="balance_entry_names_its_payment",
            ),
            models.CheckConstraint(
                condition=~Q(kind="manual") | ~Q(reason=""),
                name="balance_entry_manual_says_why",
            ),
        ]
        indexes = [models.Index(fields=["customer", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} €"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Balance entries are never changed: add another entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Balance entries are never removed: add another entry.")


class Shortage(models.Model):
    """ "Delivered 8 of 12": less of an offer came than the households of a closed cycle
    ordered, and how the missing units are shared between their lines.

    Recorded first (a draft the manager looks at: each household, what it ordered, what it
    gets), then applied once (``applied_at``): the lines' ``delivered_quantity`` set, one
    ``shortage`` entry per line whose price changed, one e-mail per household
    (``orders.billing.shortages``). A later shortage of the same offer replaces it
    (``replaced_by``): it is shared again from what was ordered.
    """

    class Strategy(models.TextChoices):
        LAST_FIRST = "last_first", _("the last orders placed lose first")
        PROPORTIONAL = "proportional", _("in proportion to what each household ordered")
        BY_HAND = "by_hand", _("by hand, a quantity for each household")

    cycle = models.ForeignKey(
        "orders.OrderCycle", on_delete=models.PROTECT, related_name="shortages"
    )
    offer = models.ForeignKey("orders.Offer", on_delete=models.PROTECT, related_name="shortages")
    delivered = models.PositiveIntegerField(_("quantity delivered"))
    strategy = models.CharField(
        _("shared"), max_length=20, choices=Strategy.choices, default=Strategy.LAST_FIRST
    )
    # By hand: {order line id: quantity it gets}, for every line of the offer.
    quantities = models.JSONField(default=dict, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    replaced_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("shortage")
        verbose_name_plural = _("shortages")
        indexes = [models.Index(fields=["cycle", "offer"])]

    def __str__(self):
        return f"{self.offer_id}: {self.delivered}"
