from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # notifications registers the outbox builders of the scheduler's e-mails.
        from . import checks, notifications, receivers  # noqa: F401
