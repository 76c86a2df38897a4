"""Money received and refunded, the Stripe events applied once each, and the anomalies
kept for the managers (events that did not match their order)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .customers import Customer
from .orders import Order


class Payment(models.Model):
    """Money received for an order, or given back (a refund has ``kind=refund``).

    A payment names its order; money that is about a household's balance with the hub
    rather than an order's total (credit topped up by card, credit refunded to the card
    that paid an order) names the customer instead, and no order: sums over an order's
    payments never count it (``orders.billing.top_ups``, ``orders.billing.refunds``; the
    balance entry of a refund names the order whose charge it went back to).
    """

    class Method(models.TextChoices):
        CASH = "cash", _("cash")
        CHEQUE = "cheque", _("cheque")
        TRANSFER = "transfer", _("bank transfer")
        CARD = "card", _("card")

    # Recorded by hand at the pickup point (a card payment is recorded by Stripe's webhook).
    AT_PICKUP_METHODS = (Method.CASH, Method.CHEQUE, Method.TRANSFER)

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", pgettext_lazy("payment", "cancelled")

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PAYMENT)
    amount = models.DecimalField(
        _("amount (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_payment_intent = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_refund = models.CharField(max_length=255, blank=True)
    # What made a balance's payment, written once (a top-up's form, a refund's cause and
    # charge): a retried worker run or a replayed webhook finds the row already written.
    key = models.CharField(max_length=120, blank=True)
    # Why Stripe could not make it (a refund refused, a card expired), for the managers.
    failure = models.CharField(max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            # An order's money, or a balance's: never both, never neither.
            models.CheckConstraint(
                condition=Q(order__isnull=False, customer__isnull=True)
                | Q(order__isnull=True, customer__isnull=False),
                name="payment_names_order_or_customer",
            ),
            models.UniqueConstraint(
                fields=["key"], condition=~Q(key=""), name="one_payment_per_key"
            ),
        ]

    def __str__(self):
        return f"{self.order or self.customer} {self.kind} {self.amount} {self.status}"

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.kind == self.Kind.PAYMENT else -self.amount


class StripeEvent(models.Model):
    """Every Stripe webhook event handled, by id: a replayed event is a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.type} {self.event_id}"


class PaymentAnomaly(models.Model):
    """A Stripe event that did not match the order (or weekly basket) it names, and so was
    not applied: made on another Stripe account than the hub's, in another currency, or of
    another amount than the one expected. Kept for the hub's managers, who check it on
    Stripe's dashboard (``orders.payments``)."""

    class Problem(models.TextChoices):
        ACCOUNT = "account", _("made on another Stripe account")
        CURRENCY = "currency", _("in another currency")
        AMOUNT = "amount", _("of another amount")

    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="+")
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="payment_anomalies"
    )
    # The event's id ("evt_..."), or what the closing read from Stripe ("close:pi_...").
    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=100)
    stripe_object = models.CharField(max_length=255)
    problem = models.CharField(max_length=10, choices=Problem.choices)
    expected = models.CharField(max_length=100)
    received = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["hub", "created_at"])]
        verbose_name = _("payment anomaly")
        verbose_name_plural = _("payment anomalies")

    def __str__(self):
        return f"{self.event_id} {self.problem}: {self.expected} ≠ {self.received}"

    def _shown(self, value: str) -> str:
        if self.problem == self.Problem.ACCOUNT and not value:
            return _("the platform's own account")
        return value

    @property
    def expected_shown(self) -> str:
        return self._shown(self.expected)

    @property
    def received_shown(self) -> str:
        return self._shown(self.received)
