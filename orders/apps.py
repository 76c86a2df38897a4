from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # schedules registers the e-mail builders of its outbox kinds.
        from . import checks, receivers, schedules  # noqa: F401
