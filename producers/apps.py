from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProducersConfig(AppConfig):
    name = "producers"
    verbose_name = _("Producers and catalogue")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the signal receivers)
