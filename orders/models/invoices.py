"""Invoices and credit notes: numbered without gaps per hub and year, frozen once issued.

An invoice is written once, when its cycle's adjustments are final (orders.billing.invoices),
with everything it says copied in: who sells, who buys, the lines and the totals. Nothing
it says ever changes afterwards, whatever happens to the hub, the household or the order;
only its PDF is attached, once, after it was issued. A later correction is a credit note
referring to it, numbered in its own series ("AV-"), also without gaps.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .customers import Customer
from .cycles import OrderCycle
from .orders import Order
from .worker import _private_storage


class InvoiceSequence(models.Model):
    """The last number given by a hub in a year, for its invoices or its credit notes.

    The row is locked while a number is taken, in the transaction that writes the
    invoice: a number is used if and only if its invoice is written (no gap, no twice)."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    hub = models.ForeignKey("hubs.Hub", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hub", "year", "kind"], name="one_invoice_sequence")
        ]

    def __str__(self):
        return f"{self.hub_id}/{self.year}/{self.kind}: {self.last}"


class FrozenQuerySet(models.QuerySet):
    """Issued documents are never changed nor removed; only their PDF is attached (once:
    ``attach_pdf``)."""

    def update(self, **kwargs):
        if set(kwargs) != {"pdf"}:
            raise TypeError("An issued invoice or credit note is never changed.")
        return super().update(**kwargs)

    def delete(self):
        raise TypeError("An issued invoice or credit note is never removed.")


class IssuedDocument(models.Model):
    """What an invoice and a credit note both hold, as they were when issued.

    ``seller`` and ``buyer`` are the identities printed ({"name", "street", "postcode",
    "city", "siret", "vat_number", "legal_form"} / {"name", "email", "phone"}); ``lines``
    each {"description", "quantity", "unit" ("piece" or "kg"), "unit_price" (incl. VAT),
    "vat_rate", "total" (incl. VAT), "net" (excl. VAT)}, amounts as text ("12.50");
    ``vat_rows`` each {"rate", "net", "vat", "total"}.
    """

    # Each kind names its hub, customer and order (with its own related names).
    number = models.CharField(_("number"), max_length=30, unique=True)
    year = models.PositiveSmallIntegerField()
    position = models.PositiveIntegerField()  # its place in the hub's series of the year
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    seller = models.JSONField()
    buyer = models.JSONField()
    lines = models.JSONField()
    vat_rows = models.JSONField()
    total_excl_vat = models.DecimalField(_("total excl. VAT"), max_digits=10, decimal_places=2)
    total_vat = models.DecimalField(_("VAT"), max_digits=10, decimal_places=2)
    total_incl_vat = models.DecimalField(_("total incl. VAT"), max_digits=10, decimal_places=2)
    pdf = models.FileField(storage=_private_storage, upload_to="invoices/%Y/%m/", blank=True)

    objects = FrozenQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["issued_at", "pk"]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("An issued invoice or credit note is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("An issued invoice or credit note is never removed.")

    def attach_pdf(self, name: str) -> bool:
        """Name the stored PDF file of the document, unless one is already named (then
        False: another worker got there first)."""
        done = type(self).objects.filter(pk=self.pk, pdf="").update(pdf=name)
        if done:
            self.pdf.name = name
        return bool(done)


class Invoice(IssuedDocument):
    """The invoice of an order (one per order), issued when its cycle's adjustments are
    final: "F-LIL-2026-00042"."""

    cycle = models.ForeignKey(OrderCycle, on_delete=models.PROTECT, related_name="invoices")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    hub = models.ForeignKey("hubs.Hub", on_delete=models.PROTECT, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    # What the invoice says of the payment ("paid", or what is left to pay), as issued.
    payment_note = models.CharField(max_length=300, blank=True)

    class Meta(IssuedDocument.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "year", "position"], name="one_invoice_per_number"
            ),
            models.CheckConstraint(condition=Q(position__gt=0), name="invoice_position_positive"),
        ]
        indexes = [models.Index(fields=["cycle", "issued_at"])]


class CreditNote(IssuedDocument):
    """A correction of an invoice after it was issued ("avoir"): lines credited, with
    why. "AV-LIL-2026-00003". Each line names the invoice's line it credits
    (``invoice_line``, its index)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    hub = models.ForeignKey("hubs.Hub", on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="credit_notes")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="credit_notes")
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by"),
    )
    # The form it was asked for by: the same request sent twice issues one credit note.
    key = models.CharField(max_length=80, unique=True)

    class Meta(IssuedDocument.Meta):
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "year", "position"], name="one_credit_note_per_number"
            ),
            models.CheckConstraint(
                condition=Q(position__gt=0), name="credit_note_position_positive"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="credit_note_says_why"),
        ]
