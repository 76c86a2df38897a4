"""Paper order forms: the number of each offer on a cycle's forms, and each printed form.

A household far from screens ticks a printed form; a relay keys it back in
(``orders.paper_forms``). The numbers printed on the form must still mean the same offers
when it comes back, even if offers were added to the cycle meanwhile.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cycles import CyclePickupPoint, Offer, OrderCycle
from .worker import _private_storage


class PaperFormLine(models.Model):
    """The line number of an offer on every paper form of its cycle, given at the first
    print that shows the offer and never changed: an offer added later gets the next free
    number. Kept when the offer is removed (``offer`` is then empty), so that its number is
    never given to another product."""

    cycle = models.ForeignKey(OrderCycle, on_delete=models.CASCADE, related_name="paper_lines")
    offer = models.OneToOneField(
        Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="paper_line"
    )
    number = models.PositiveIntegerField(_("line number"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["cycle", "number"]
        verbose_name = _("line of the paper order forms")
        verbose_name_plural = _("lines of the paper order forms")
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="unique_paper_line_number"),
        ]

    def __str__(self):
        return f"{self.number}: {self.offer}"


class PaperFormBatch(models.Model):
    """Forms printed together, more than a request builds at once: their PDF is built by
    the worker (``orders.paper_forms.documents.build_batch``) and downloaded from the
    paper-forms page."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("being prepared")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    cycle_pickup = models.ForeignKey(
        CyclePickupPoint, on_delete=models.CASCADE, related_name="paper_form_batches"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(storage=_private_storage, upload_to="paper_forms/%Y/%m/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("printing of paper order forms")
        verbose_name_plural = _("printings of paper order forms")

    def __str__(self):
        return f"{self.cycle_pickup} ({self.get_status_display()})"


class PaperForm(models.Model):
    """One printed paper order form of a cycle for a pickup point. Its number (``code``),
    keyed or scanned, names the cycle and the point; ``order`` is the order keyed from it,
    so that a form keyed twice is noticed."""

    cycle_pickup = models.ForeignKey(
        CyclePickupPoint, on_delete=models.CASCADE, related_name="paper_forms"
    )
    printed_at = models.DateTimeField(default=timezone.now)
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    batch = models.ForeignKey(
        PaperFormBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="forms"
    )
    order = models.OneToOneField(
        "Order",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="paper_form",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("paper order form")
        verbose_name_plural = _("paper order forms")

    def __str__(self):
        return self.code

    @property
    def code(self) -> str:
        """The form's number as printed: its id and a check digit (``1234-5``)."""
        return f"{self.pk}-{check_digit(self.pk)}"


def check_digit(number: int) -> int:
    """Luhn's check digit of ``number``: one digit typed wrong, or two swapped, changes it."""
    total = 0
    for position, digit in enumerate(reversed(str(number))):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10
