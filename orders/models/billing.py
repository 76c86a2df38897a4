"""What happens to money after the close: each customer's balance with its hub, kept as a
ledger of entries that are added, never changed or removed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer
from .orders import Order
from .payments import Payment


class BalanceEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Balance entries are never changed: add another entry.")

    def delete(self):
        raise TypeError("Balance entries are never removed: add another entry.")


# Kinds of entries that are about an order, and those that are about a payment.
ORDER_KINDS = (
    "weight", "shortage", "correction", "overpayment", "credit_used", "settled", "credit_note",
)  # fmt: skip
PAYMENT_KINDS = ("overpayment", "top_up", "refund", "settled")


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
