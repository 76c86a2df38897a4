from urllib.parse import quote_plus

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from foodhub.collation import french


class PickupPoint(models.Model):
    """A place where households collect their orders, usually run by a tiers-lieu.

    Hub managers of the hubs it serves create and edit it; its coordinators invite the
    volunteers who run distribution day. The access information (door code...) is shown
    only to its team and to households with an order there.
    """

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(max_length=80, unique=True)
    tiers_lieu = models.CharField(_("tiers-lieu"), max_length=150, blank=True)
    address = models.CharField(_("address"), max_length=255)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("town"), max_length=100, blank=True)
    access_info = models.TextField(
        _("access information"),
        blank=True,
        help_text=_(
            "Door code, floor... shown only to volunteers and households with an order here."
        ),
    )
    opening_notes = models.TextField(_("opening notes"), blank=True)
    contact_name = models.CharField(_("contact person"), max_length=150, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    hubs = models.ManyToManyField(
        "hubs.Hub", related_name="pickup_points", blank=True, verbose_name=_("hubs")
    )

    class Meta:
        ordering = [french("name")]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")

    def __str__(self):
        return self.name

    @property
    def full_address(self) -> str:
        town = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.address, town) if part)

    @property
    def map_url(self) -> str:
        """The place on OpenStreetMap: its pin when known, else a search for the address."""
        if self.latitude is not None and self.longitude is not None:
            lat, lon = self.latitude, self.longitude
            return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"
        return f"https://www.openstreetmap.org/search?query={quote_plus(self.full_address)}"


class PickupPointMembership(models.Model):
    """Someone on a pickup point's team: a coordinator (invites and manages volunteers) or a
    volunteer (runs distribution day)."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("coordinator")
        VOLUNTEER = "volunteer", _("volunteer")

    pickup_point = models.ForeignKey(
        PickupPoint, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pickup_memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VOLUNTEER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", french("user__full_name"), "pk"]
        verbose_name = _("pickup point team member")
        verbose_name_plural = _("pickup point team members")
        constraints = [
            models.UniqueConstraint(fields=["pickup_point", "user"], name="unique_point_member")
        ]

    def __str__(self):
        return f"{self.user} @ {self.pickup_point} ({self.get_role_display()})"
