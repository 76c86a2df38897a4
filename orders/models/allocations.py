"""Food allocation programmes ("caisses alimentaires"): a funder pays a monthly amount to
each household a hub enrols, credited on its balance with the hub and spent there.

Each household of a programme has a purse (``AllocationPurse``): what is left of the
allocation credited to it, a part of its balance kept apart. The purse moves only with a
balance entry (``orders.ledger``): a movement (``PurseMovement``) names the entry, and
``left`` is the sum of the movements, in the same transaction. Unused allocation stays in
the purse from one month to the next (carried over), and is never paid out as money.

When a programme is restricted, its purse pays only the products the hub marks as
eligible (``EligibleProduct``): a product, at the hub, whatever the pack size or the week.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer


class AllocationProgramme(models.Model):
    hub = models.ForeignKey(
        "hubs.Hub", on_delete=models.PROTECT, related_name="allocation_programmes"
    )
    name = models.CharField(_("name"), max_length=150)
    funder = models.CharField(_("funder"), max_length=150)
    monthly_amount = models.DecimalField(_("amount per household and month (€)"), max_digits=8,
                                         decimal_places=2)  # fmt: skip
    # The first day of the first and of the last month credited.
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    eligible_only = models.BooleanField(
        _("only for the products marked as eligible"), default=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-first_month", "-pk"]
        verbose_name = _("food allocation programme")
        verbose_name_plural = _("food allocation programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_amount__gt=0), name="allocation_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(last_month__gte=F("first_month")), name="allocation_months_in_order"
            ),
        ]

    def __str__(self):
        return self.name

    def runs_in(self, month) -> bool:
        return self.first_month <= month <= self.last_month


class AllocationPurse(models.Model):
    """A household's allocation credit left in a programme, and its pseudonym there
    ("Foyer 07": ``number``, given at its first enrolment, never reused)."""

    programme = models.ForeignKey(
        AllocationProgramme, on_delete=models.PROTECT, related_name="purses"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="allocation_purses"
    )
    number = models.PositiveIntegerField()
    left = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "customer"], name="one_purse_each"),
            models.UniqueConstraint(fields=["programme", "number"], name="one_pseudonym_each"),
            models.CheckConstraint(condition=Q(left__gte=0), name="allocation_purse_not_negative"),
        ]

    def __str__(self):
        return self.pseudonym

    @property
    def pseudonym(self) -> str:
        return _("Household %(number)02d") % {"number": self.number}


class Enrolment(models.Model):
    """A household enrolled in a programme, from ``enrolled_at`` until it is withdrawn."""

    programme = models.ForeignKey(
        AllocationProgramme, on_delete=models.PROTECT, related_name="enrolments"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="allocation_enrolments"
    )
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["-enrolled_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "customer"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_current_enrolment",
            )
        ]

    def __str__(self):
        return f"{self.programme_id}:{self.customer_id}"


class PurseMovement(models.Model):
    """A purse moved with a balance entry: credited (the month's allocation), spent on
    an order (negative), given back (an order costing less, cancelled)."""

    class Kind(models.TextChoices):
        CREDITED = "credited", _("credited")
        SPENT = "spent", _("spent")

    purse = models.ForeignKey(AllocationPurse, on_delete=models.PROTECT, related_name="movements")
    entry = models.ForeignKey(
        "orders.BalanceEntry", on_delete=models.PROTECT, related_name="purse_movements"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # The month credited, or the month (Paris) it was spent in: the funder's report.
    month = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["purse", "entry"], name="one_movement_per_entry"),
            models.CheckConstraint(condition=~Q(amount=0), name="purse_movement_not_zero"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount} €"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Purse movements are never changed: add another one.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Purse movements are never removed: add another one.")


class EligibleProduct(models.Model):
    """A product a hub's restricted programmes pay for (fruit, vegetables...)."""

    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("producers.Product", on_delete=models.CASCADE, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "product"], name="eligible_once_per_hub")
        ]

    def __str__(self):
        return f"{self.hub_id}:{self.product_id}"
