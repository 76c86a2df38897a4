from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "foodhub.content"
    label = "content"
    verbose_name = _("Public pages")

    def ready(self):
        from . import receivers  # noqa: F401
