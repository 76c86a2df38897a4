"""What households choose to hear about: opening alerts and their calendar feed."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class OpeningAlert(models.Model):
    """A household asked for the "the shop is open" e-mail of a hub."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="opening_alerts"
    )
    hub = models.ForeignKey("hubs.Hub", on_delete=models.CASCADE, related_name="opening_alerts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "hub"], name="one_opening_alert_per_hub"),
        ]

    def __str__(self):
        return f"{self.user} ← {self.hub}"


class CalendarFeed(models.Model):
    """The secret address of a household's private iCal feed of its pickups."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"calendar of {self.user}"


class OrderingRight(models.Model):
    """Someone may order for a household: a relay of the hub who made its record (with
    the household's consent, recorded), or a person the household named from its account
    (a neighbour, a social worker). Withdrawn, never deleted: orders keep who placed them.
    """

    class Origin(models.TextChoices):
        RELAY = "relay", _("a relay of the hub, with the household's consent")
        GRANTED = "granted", _("given by the household from its account")

    class Consent(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        BY_PHONE = "by_phone", _("by phone")
        ONLINE = "online", _("online, from the household's account")

    customer = models.ForeignKey(
        "Customer", on_delete=models.CASCADE, related_name="ordering_rights"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ordering_rights"
    )
    origin = models.CharField(max_length=10, choices=Origin.choices)
    consent = models.CharField(_("consent given"), max_length=10, choices=Consent.choices)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("right to order for a household")
        verbose_name_plural = _("rights to order for a household")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "user"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_live_ordering_right",
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.customer}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None
