"""Weekly baskets: what a household takes every week, the weeks it skips, and each
week's run that turns baskets into orders."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .cycles import OrderCycle
from .orders import Order


class WeeklyBasket(models.Model):
    """A household's standing order: placed as a normal order each time a cycle of its hub
    opens (``orders.weekly``), with what is available."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        CANCELLED = "cancelled", pgettext_lazy("weekly basket", "cancelled")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_baskets"
    )
    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.CASCADE, related_name="weekly_baskets", verbose_name=_("hub")
    )
    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        on_delete=models.PROTECT,
        related_name="weekly_baskets",
        verbose_name=_("pickup point"),
    )
    # The slot is chosen anew each week: the one starting at this time, or the nearest.
    slot_starts_at = models.TimeField(_("preferred slot"), null=True, blank=True)
    payment_method = models.CharField(
        _("payment"),
        max_length=12,
        choices=Order.PaymentMethod.choices,
        default=Order.PaymentMethod.AT_PICKUP,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    paused_until = models.DateField(_("paused until"), null=True, blank=True)
    full_name = models.CharField(_("name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    note = models.TextField(_("note for the hub"), blank=True, max_length=1000)
    # A card saved with a SetupIntent, charged off-session when the cycle closes.
    stripe_customer_id = models.CharField(max_length=255, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True)
    stripe_setup_intent_id = models.CharField(max_length=255, blank=True)
    card_label = models.CharField(_("card"), max_length=60, blank=True)
    created_from = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("weekly basket")
        verbose_name_plural = _("weekly baskets")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "hub"],
                condition=~Q(status="cancelled"),
                name="one_weekly_basket_per_household_and_hub",
            ),
        ]

    def __str__(self):
        return f"{self.user} @ {self.hub}"


class WeeklyBasketLine(models.Model):
    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "producers.Variant", on_delete=models.CASCADE, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(999)]
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "variant"], name="one_line_per_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="weekly_line_quantity_positive"
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.variant_id}"


class WeeklyBasketSkip(models.Model):
    """A week the household does not want its basket (the week its cycle opens, Monday)."""

    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="skips")
    week = models.DateField()

    class Meta:
        ordering = ["week"]
        constraints = [
            models.UniqueConstraint(fields=["basket", "week"], name="one_skip_per_week"),
        ]

    def __str__(self):
        return f"{self.basket_id} skips {self.week}"


class WeeklyBasketRun(models.Model):
    """What happened to a weekly basket in one cycle: one row per basket and cycle, taken
    before the order is placed, so a repeated tick never places it twice."""

    class Status(models.TextChoices):
        PENDING = "pending", _("being placed")
        PLACED = "placed", _("placed in full")
        PARTIAL = "partial", _("placed, with items left out")
        NOT_PLACED = "not_placed", _("could not be placed")
        SKIPPED = "skipped", _("skipped")

    basket = models.ForeignKey(WeeklyBasket, on_delete=models.CASCADE, related_name="runs")
    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="basket_runs")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    order = models.ForeignKey(
        Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What was left out or short: [{"name": ..., "wanted": 3, "placed": 1, "reason": ...}]
    problems = models.JSONField(default=list, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["basket", "cycle"], name="one_run_per_basket_and_cycle"
            ),
        ]

    def __str__(self):
        return f"{self.basket_id} in {self.cycle_id}: {self.status}"
