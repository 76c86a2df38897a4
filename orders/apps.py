from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Order cycles and orders")

    def ready(self):
        # Registrations, nothing else: the e-mail builders of the outbox (orders.emails,
        # billing's "what you get has changed", and the schedules' "not published"
        # e-mail) must be known in whichever process sends the e-mails; weekly baskets
        # add their Stripe event handler, and balances theirs (top-ups, refunds of
        # credit that failed).
        from . import checks, receivers  # noqa: F401
        from .billing import delivery_emails, refunds, top_ups  # noqa: F401
        from .emails import close_emails, notifications, orders, weekly  # noqa: F401
        from .planning import schedules  # noqa: F401
        from .sms import texts  # noqa: F401  (the SMS builders and the outbox's SMS channel)
        from .weekly_baskets import weekly as weekly_baskets  # noqa: F401
