from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # weekly registers its e-mail builders and Stripe webhook handler on import.
        from . import checks, receivers, weekly  # noqa: F401
