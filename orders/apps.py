from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # The e-mail builders of the outbox (orders.outbox) register themselves on import:
        # they must be known in whichever process sends the e-mails. weekly also adds its
        # Stripe webhook handler.
        from . import checks, receivers  # noqa: F401
        from .emails import close_emails, notifications  # noqa: F401
        from .planning import schedules  # noqa: F401
        from .weekly_baskets import weekly  # noqa: F401
