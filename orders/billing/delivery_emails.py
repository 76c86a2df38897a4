"""The e-mail a household gets when what it receives changes after the close: a shortage
shared out, or a line corrected by the hub. Owed by ``shortages`` and ``corrections`` in the
transaction of the change, with the numbers as they were written; built here when it
leaves, in the order's language."""

from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from orders import outbox
from orders.models import Order

from .shortages import EMAIL_KIND


@outbox.builder(EMAIL_KIND)
def build_delivery_email(params: dict) -> EmailMessage:
    order = Order.objects.select_related("cycle__hub").get(pk=params["order_id"])
    lines = [
        {**line, "amount": Decimal(line["amount"]), "cost": Decimal(line["cost"])}
        for line in params["lines"]
    ]
    context = {
        "order": order,
        "hub": order.cycle.hub,
        "lines": lines,
        "amount": Decimal(params["amount"]),
        "kind": params["kind"],
        "reason": params.get("reason", ""),
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL + order.get_secret_url(),
    }
    subject = _("Your order %(number)s: what you get has changed") % {"number": order.number}
    body = render_to_string("orders/billing/shortage_email.txt", context)
    return EmailMessage(subject, body)
