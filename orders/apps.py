from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # The e-mail builders of the outbox register themselves on import.
        from . import checks, close_emails, receivers  # noqa: F401
