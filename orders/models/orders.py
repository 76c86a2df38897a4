"""Households' orders and their lines, the history of each order, the numbering, and
the basket an order is made from."""

import secrets
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from foodhub.collation import french

from ..pricing import ZERO, money, tier_price, weighed_price
from .customers import Customer
from .cycles import CyclePickupPoint, Offer, OrderCycle, PickupSlot
from .solidarity import PriceTier


def new_access_token() -> str:
    return secrets.token_urlsafe(24)


class OrderQuerySet(models.QuerySet):
    def live(self):
        """The orders that count: placed or awaiting payment, not cancelled."""
        return self.filter(status__in=Order.LIVE_STATUSES)


class Order(models.Model):
    """A household's order in a cycle. Never deleted: cancelled at most."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", _("awaiting card payment")
        PLACED = "placed", _("placed")
        CANCELLED = "cancelled", _("cancelled")

    class PaymentMethod(models.TextChoices):
        AT_PICKUP = "at_pickup", _("pay at pickup (cash, cheque or transfer)")
        CARD = "card", _("card, online")

    LIVE_STATUSES = (Status.AWAITING_PAYMENT, Status.PLACED)

    cycle = models.ForeignKey(OrderCycle, on_delete=models.PROTECT, related_name="orders")
    number = models.CharField(_("order number"), max_length=30, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
    )
    # The household as the hub knows it (orders.customers.customer_for); empty only for
    # rows written in bulk outside the services (benchmarks).
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("customer"),
    )
    # Empty for a household without e-mail, whose orders a relay places.
    email = models.EmailField(_("e-mail address"), blank=True)
    full_name = models.CharField(_("name"), max_length=150)
    # Who placed it for the household, when someone did (a relay, a person it named);
    # empty when the household ordered itself. Each change's author is in its events.
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("placed by"),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    cycle_pickup = models.ForeignKey(
        CyclePickupPoint, on_delete=models.PROTECT, related_name="orders"
    )
    slot = models.ForeignKey(PickupSlot, on_delete=models.PROTECT, related_name="orders")
    payment_method = models.CharField(
        _("payment"), max_length=12, choices=PaymentMethod.choices, default=PaymentMethod.AT_PICKUP
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLACED
    )
    note = models.TextField(_("note for the hub"), blank=True, max_length=1000)
    # The language of the page the order was placed on: its later e-mails are written in it.
    language = models.CharField(_("language"), max_length=8, blank=True)
    # The solidarity tier the household chose (private: shown to the household only);
    # its lines keep the percentage it stood for (``OrderLine.price_percent``).
    price_tier = models.CharField(
        _("price tier"), max_length=10, choices=PriceTier.choices, default=PriceTier.MIDDLE
    )
    # Totals computed by orders.pricing from the lines (never sent by the browser), at the
    # household's tier: what it is charged.
    goods_total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    fee_total = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    # The secret in the link of the confirmation e-mail, for guests without an account.
    access_token = models.CharField(max_length=64, unique=True, default=new_access_token)
    placed_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Handed over at the pickup point (ticked by a volunteer; untick to undo).
    collected_at = models.DateTimeField(_("collected at"), null=True, blank=True)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handed over by"),
    )

    # Placed by the tick from this weekly basket (its saved card is charged at close).
    weekly_basket = models.ForeignKey(
        "WeeklyBasket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("weekly basket"),
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            # A household has at most one live order per cycle: one per customer, and one
            # per address (two guests' records can never share it, but a typed address and
            # an account's could).
            models.UniqueConstraint(
                fields=["cycle", "customer"],
                condition=~Q(status="cancelled"),
                name="one_live_order_per_household_and_cycle",
            ),
            models.UniqueConstraint(
                fields=["cycle", "email"],
                condition=~Q(status="cancelled") & ~Q(email=""),
                name="one_live_order_per_address_and_cycle",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "status"])]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:order_detail", kwargs={"number": self.number})

    def get_secret_url(self):
        """Where the household sees its order by its secret link, which works for guests
        too (the link e-mails carry)."""
        return reverse("orders:order_by_token", kwargs={"token": self.access_token})

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    def can_change(self, now: datetime | None = None) -> bool:
        return self.is_live and self.cycle.is_open(now)


class OrderLine(models.Model):
    """What was bought, with the price, VAT and names as they were when ordered."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="lines")
    # Protects ordered variants from deletion (the catalogue deactivates them instead).
    variant = models.ForeignKey(
        "producers.Variant", on_delete=models.PROTECT, related_name="order_lines"
    )
    producer = models.ForeignKey(
        "producers.Producer", on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    producer_name = models.CharField(max_length=150)
    product_name = models.CharField(max_length=150)
    variant_name = models.CharField(max_length=100)
    # The full price (what the producer is paid): ``unit_price``, ``total`` and
    # ``price_per_kg``; the household pays them × ``price_percent`` % (its solidarity tier,
    # ``orders.pricing`` rule 8): ``charged_unit_price``, ``charged_total``, ``final_total``.
    unit_price = models.DecimalField(max_digits=8, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    total = models.DecimalField(max_digits=10, decimal_places=2)
    price_percent = models.PositiveSmallIntegerField(_("price tier (%)"), default=100)
    # Sold by weight: the price per kg and the estimated weight of the whole line (kg) when
    # ordered, ``unit_price`` and ``total`` being the estimate; after the close the line is
    # weighed (``actual_weight``, kg) and costs ``final_total``. The difference with the
    # estimate is an entry of the household's balance (orders.billing.weighing).
    price_per_kg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    estimated_weight = models.DecimalField(max_digits=9, decimal_places=3, null=True, blank=True)
    actual_weight = models.DecimalField(
        _("weight (kg)"), max_digits=9, decimal_places=3, null=True, blank=True
    )
    weighed_at = models.DateTimeField(null=True, blank=True)
    # After the close, what the household really gets when it is not what it ordered (a
    # shortage shared out, a line corrected by the hub): ``None`` while it is the quantity
    # ordered, 0 when nothing of it comes. ``quantity`` stays what was ordered.
    delivered_quantity = models.PositiveIntegerField(_("quantity delivered"), null=True, blank=True)
    weighed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = [french("producer_name"), french("product_name"), french("variant_name"), "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "offer"], name="one_line_per_offer"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(price_percent__gt=0), name="line_price_percent_positive"
            ),
            models.CheckConstraint(
                condition=Q(price_per_kg__isnull=True, estimated_weight__isnull=True)
                | Q(
                    # A CHECK lets NULL through a comparison: both are named.
                    price_per_kg__isnull=False,
                    estimated_weight__isnull=False,
                    price_per_kg__gt=0,
                    estimated_weight__gt=0,
                ),
                name="line_by_weight_has_its_price_and_estimate",
            ),
            models.CheckConstraint(
                condition=Q(actual_weight__isnull=True)
                | Q(actual_weight__gt=0, price_per_kg__isnull=False),
                name="line_weighed_only_by_weight",
            ),
            models.CheckConstraint(
                condition=Q(delivered_quantity__isnull=True)
                | Q(delivered_quantity__isnull=False, delivered_quantity__lte=F("quantity")),
                name="line_delivers_at_most_what_was_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name} — {self.variant_name}"

    @property
    def is_by_weight(self) -> bool:
        return self.price_per_kg is not None

    @property
    def is_weighed(self) -> bool:
        return self.actual_weight is not None

    @property
    def final_quantity(self) -> int:
        """What the household gets: the quantity delivered once a shortage or a correction
        changed it, else the quantity ordered."""
        return self.quantity if self.delivered_quantity is None else self.delivered_quantity

    @property
    def final_estimated_weight(self) -> Decimal | None:
        """Sold by weight: the estimated weight (kg) of what is delivered, the estimate of
        the line scaled to the quantity delivered (a shortage left 1 chicken of 2)."""
        if self.estimated_weight is None or self.delivered_quantity is None:
            return self.estimated_weight
        scaled = self.estimated_weight * self.final_quantity / self.quantity
        return scaled.quantize(Decimal("0.001"))

    @property
    def charged_unit_price(self) -> Decimal:
        """What the household pays for one, at its tier (the estimate when sold by weight)."""
        return tier_price(self.unit_price, self.price_percent)

    @property
    def charged_price_per_kg(self) -> Decimal | None:
        if self.price_per_kg is None:
            return None
        return tier_price(self.price_per_kg, self.price_percent)

    @property
    def charged_total(self) -> Decimal:
        """What the household pays for the line as ordered, at its tier."""
        if self.price_percent == 100:
            return self.total
        return self.charged_unit_price * self.quantity

    @property
    def final_estimate(self) -> Decimal:
        """What the quantity delivered costs at the unit price (for a line sold by weight,
        the estimate its weight is compared with), at the household's tier."""
        if self.delivered_quantity is None:
            return self.charged_total
        return money(self.charged_unit_price * self.final_quantity)

    @property
    def final_total(self) -> Decimal:
        """What the line costs the household, at its tier: nothing when nothing of it
        comes; its weighed price once weighed (the weight is that of what was delivered);
        else its unit price times the quantity delivered (for a line sold by weight, the
        estimate of what is delivered)."""
        return self._final(self.charged_unit_price, self.charged_price_per_kg, self.charged_total)

    @property
    def full_final_total(self) -> Decimal:
        """``final_total`` at full price: what the producer is paid for the line."""
        return self._final(self.unit_price, self.price_per_kg, self.total)

    @property
    def full_final_estimate(self) -> Decimal:
        """``final_estimate`` at full price."""
        if self.delivered_quantity is None:
            return self.total
        return money(self.unit_price * self.final_quantity)

    def _final(self, unit_price: Decimal, price_per_kg: Decimal | None, whole: Decimal) -> Decimal:
        if self.final_quantity == 0:
            return ZERO
        if self.actual_weight is not None:
            return weighed_price(self.actual_weight, price_per_kg)
        if self.delivered_quantity is None:
            return whole
        return money(unit_price * self.final_quantity)


class OrderEvent(models.Model):
    """The order's history: who did what, when (placed, changed, cancelled, paid...)."""

    class Kind(models.TextChoices):
        PLACED = "placed", _("placed")
        CHANGED = "changed", _("changed")
        CANCELLED = "cancelled", _("cancelled")
        PAYMENT = "payment", _("payment")
        PAYMENT_CANCELLED = "payment_cancelled", _("payment cancelled")
        REFUND = "refund", _("refund")
        COLLECTED = "collected", _("collected")
        UNCOLLECTED = "uncollected", _("collection undone")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.order} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class OrderNumberSequence(models.Model):
    """The last order number given by a hub in a year ("LIL-2026-000123")."""

    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "year"], name="unique_order_sequence")
        ]

    def __str__(self):
        return f"{self.hub_id}/{self.year}: {self.last}"


class Basket(models.Model):
    """A household's basket for a cycle, before checkout (it holds no stock).

    Anonymous visitors' baskets are found by a token kept in their session; at log-in the
    basket is merged into the account's. When ``order`` is set, the basket is a working
    copy of that order being changed.
    """

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="baskets")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="baskets",
    )
    token = models.CharField(max_length=64, db_index=True, blank=True)
    # The household ``user`` orders for (a relay, a person it named); empty for one's own.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "user"],
                condition=Q(user__isnull=False, customer__isnull=True),
                name="one_basket_per_user_and_cycle",
            ),
            models.UniqueConstraint(
                fields=["cycle", "user", "customer"],
                condition=Q(customer__isnull=False),
                name="one_basket_per_household_helped_and_cycle",
            ),
            models.UniqueConstraint(
                fields=["cycle", "token"],
                condition=Q(user__isnull=True),
                name="one_basket_per_token_and_cycle",
            ),
        ]

    def __str__(self):
        return f"basket {self.pk} ({self.cycle_id})"


class BasketItem(models.Model):
    basket = models.ForeignKey(Basket, on_delete=models.CASCADE, related_name="items")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "offer"], name="one_basket_item_per_offer"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="basket_quantity_positive"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.offer_id}"
