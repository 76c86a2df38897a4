from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PickupPointsConfig(AppConfig):
    name = "pickup_points"
    verbose_name = _("Pickup points")

    def ready(self):
        # Registers the outbox builder of the coordinators' volunteer list.
        from . import notifications  # noqa: F401
