"""Solidarity prices: a hub's three tiers, its solidarity fund, and the lock row of each
cycle's support (``orders.solidarity``).

A household chooses its tier privately; its lines cost their price × the tier's percentage
(``orders.pricing`` rule 8). The producers are paid the full price: the difference goes to
the hub's fund (the upper tier) or comes from it (the lower tier), as entries that are
added, never changed or removed, in the transaction that places, changes or cancels the
order, or adjusts it after the close.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PriceTier(models.TextChoices):
    LOWER = "lower", _("reduced price")
    MIDDLE = "middle", _("normal price")
    UPPER = "upper", _("supporting price")


# The bounds a hub may set its percentages in (the middle tier is always 100 %).
LOWEST_PERCENT, HIGHEST_PERCENT = 10, 300


class SolidaritySettings(models.Model):
    """A hub's solidarity prices: on or off, the percentages of its lower and upper tiers,
    and the most the fund may give per cycle (no cap when empty)."""

    hub = models.OneToOneField("hubs.Hub", on_delete=models.CASCADE, related_name="solidarity")
    enabled = models.BooleanField(_("solidarity prices on"), default=False)
    lower_percent = models.PositiveSmallIntegerField(
        _("reduced price (percentage of the price)"),
        default=70,
        validators=[MinValueValidator(LOWEST_PERCENT), MaxValueValidator(99)],
    )
    upper_percent = models.PositiveSmallIntegerField(
        _("supporting price (percentage of the price)"),
        default=130,
        validators=[MinValueValidator(101), MaxValueValidator(HIGHEST_PERCENT)],
    )
    support_cap = models.DecimalField(
        _("most the fund gives per cycle (€)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("solidarity prices")
        verbose_name_plural = _("solidarity prices")
        constraints = [
            models.CheckConstraint(
                condition=Q(lower_percent__gte=LOWEST_PERCENT, lower_percent__lt=100)
                & Q(upper_percent__gt=100, upper_percent__lte=HIGHEST_PERCENT),
                name="solidarity_tiers_around_the_price",
            ),
            models.CheckConstraint(
                condition=Q(support_cap__isnull=True) | Q(support_cap__gte=0),
                name="solidarity_cap_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.hub_id}: {self.lower_percent}/100/{self.upper_percent}"

    def percent(self, tier: str) -> int:
        return {PriceTier.LOWER: self.lower_percent, PriceTier.UPPER: self.upper_percent}.get(
            tier, 100
        )


class SolidarityEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Solidarity fund entries are never changed: add another entry.")

    def delete(self):
        raise TypeError("Solidarity fund entries are never removed: add another entry.")


class SolidarityEntry(models.Model):
    """A movement of a hub's solidarity fund, caused by an order.

    ``amount`` is what the order gives the fund: positive when its household pays the
    supporting price (a contribution), negative when it pays the reduced price (support).
    The entries of an order add up to its lines at their tier price less the same lines
    at full price (``orders.solidarity.services.follow_order``): a cancelled order's add
    up to zero, by new entries."""

    hub = models.ForeignKey("hubs.Hub", on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(
        "orders.OrderCycle", on_delete=models.PROTECT, related_name="solidarity_entries"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="solidarity_entries"
    )
    amount = models.DecimalField(_("amount (€)"), max_digits=10, decimal_places=2)
    # What made it, written once (a retried request never adds a second entry).
    key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SolidarityEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("solidarity fund entry")
        verbose_name_plural = _("solidarity fund entries")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="solidarity_entry_not_zero"),
        ]
        indexes = [models.Index(fields=["hub", "cycle"])]

    def __str__(self):
        return f"{self.order_id}: {self.amount} €"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Solidarity fund entries are never changed: add another entry.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Solidarity fund entries are never removed: add another entry.")


class SolidarityCycle(models.Model):
    """One row per cycle whose orders took the reduced price: locked by every order that
    asks for it, so two checkouts never both pass the cap; ``lower_closed_at`` once an
    order would have passed it (the reduced price is closed for the rest of the cycle)."""

    cycle = models.OneToOneField(
        "orders.OrderCycle", on_delete=models.CASCADE, related_name="solidarity"
    )
    lower_closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("solidarity of a cycle")
        verbose_name_plural = _("solidarity of cycles")

    def __str__(self):
        return f"{self.cycle_id}"
