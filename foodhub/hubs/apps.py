from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HubsConfig(AppConfig):
    name = "foodhub.hubs"
    label = "hubs"
    verbose_name = _("Hubs")

    def ready(self):
        # The address converters every app's urls use, known before any of them is read
        # (whatever imports a urls module first): <id:pk> (an id the database can hold)
        # and <hub:hub_slug> (the slug of an existing hub).
        from django.urls import register_converter

        from foodhub.inputs import IdConverter

        from .converters import HubSlugConverter

        register_converter(IdConverter, "id")
        register_converter(HubSlugConverter, "hub")
