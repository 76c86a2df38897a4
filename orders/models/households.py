"""What households choose to hear about: opening alerts and their calendar feed."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


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
