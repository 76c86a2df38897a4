from django.db import models
from django.utils.translation import gettext_lazy as _


class PickupPoint(models.Model):
    """A place where households collect their orders, usually run by a tiers-lieu.

    Kept simple for now; volunteers, slots and documents come with the pickup point issue.
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
    hubs = models.ManyToManyField(
        "hubs.Hub", related_name="pickup_points", blank=True, verbose_name=_("hubs")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("pickup point")
        verbose_name_plural = _("pickup points")

    def __str__(self):
        return self.name
