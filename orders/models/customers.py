"""The households a hub knows: one customer per household and hub.

A customer is who orders and, after the close, whose balance the hub keeps
(``orders.billing``). A household with an account is one customer per hub whatever
address it orders with; a guest is known by its e-mail address, and becomes the account's
customer when it orders logged in with that address. A household without any e-mail (a
relay orders for it) is a customer with neither.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from foodhub.collation import french

from .solidarity import PriceTier


class Customer(models.Model):
    hub = models.ForeignKey("hubs.Hub", on_delete=models.PROTECT, related_name="customers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    # Lower-case; empty when the household has none, or when the address is another
    # customer's of the same hub (an account that took over a former account's address).
    email = models.EmailField(_("e-mail address"), blank=True)
    full_name = models.CharField(_("name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    # The sum of the customer's balance entries (orders.models.billing): what the hub owes
    # the household (negative: what it owes the hub). Changed only with its entries.
    balance = models.DecimalField(
        _("balance (€)"), max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    # The solidarity tier the household chose last with this hub (its default at the next
    # checkout; empty until it chooses). Private: shown to the household only.
    price_tier = models.CharField(
        _("price tier"),
        max_length=10,
        choices=PriceTier.choices,
        blank=True,
        default="",
        db_default="",  # rows are inserted by hand too (orders.customers)
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The language of the SMS the household gets (empty: its account's, else French).
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, blank=True, default="",
        db_default="",
    )  # fmt: skip
    # The SMS the household chose (``orders.sms``), by itself or through a relay (who and
    # when recorded); none until chosen. A number that replied STOP (or followed the link
    # of an SMS) gets none until the household itself chooses SMS again.
    sms_confirmation = models.BooleanField(
        _("SMS: order confirmation"), default=False, db_default=False
    )
    sms_reminder = models.BooleanField(
        _("SMS: reminder the day before pickup"), default=False, db_default=False
    )
    sms_shop_open = models.BooleanField(_("SMS: the shop is open"), default=False, db_default=False)
    sms_chosen_at = models.DateTimeField(null=True, blank=True)
    sms_chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sms_stopped_at = models.DateTimeField(_("SMS stopped at"), null=True, blank=True)

    class Meta:
        ordering = [french("full_name"), "pk"]
        indexes = [models.Index(fields=["phone"], name="customer_phone")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.UniqueConstraint(
                fields=["hub", "user"],
                condition=Q(user__isnull=False),
                name="one_customer_per_account_and_hub",
            ),
            models.UniqueConstraint(
                fields=["hub", "email"],
                condition=~Q(email=""),
                name="one_customer_per_address_and_hub",
            ),
        ]

    def __str__(self):
        return self.full_name or self.email
