"""The e-mails a household gets about its order: placed, changed or cancelled, and the
secret link of its order asked again. Owed by ``orders.order_emails`` (in the transaction
of the change), built here when they leave, in the order's language."""

import io

import segno
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import outbox
from orders.checkout.services import amounts_of, rows_of
from orders.households import ical
from orders.models import Order
from orders.order_emails import KIND as ORDER_EMAIL
from orders.order_emails import ORDER_LINK

EMAIL_SUBJECTS = {
    "confirmation": gettext_lazy("Your order %(number)s at %(hub)s"),
    "changed": gettext_lazy("Your order %(number)s was changed"),
    "cancelled": gettext_lazy("Your order %(number)s was cancelled"),
}


@outbox.builder(ORDER_EMAIL)
def build_order_email(params: dict) -> EmailMessage:
    """The e-mail to the household about its order: placed, changed or cancelled (owed by
    ``orders.order_emails``; built when it leaves, in the order's language)."""
    kind = params["kind"]
    order = (
        Order.objects.select_related("cycle__hub", "cycle_pickup__pickup_point", "slot")
        .prefetch_related("lines")
        .get(pk=params["order_id"])
    )
    amounts = amounts_of(order)
    context = {
        "order": order,
        "amounts": amounts,
        "rows": rows_of(order, amounts),
        "hub": order.cycle.hub,
        "pickup_point": order.cycle_pickup.pickup_point,
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL + order.get_secret_url(),
        "kind": kind,
        "reason": params.get("reason", ""),
    }
    subject = str(EMAIL_SUBJECTS[kind]) % {"number": order.number, "hub": order.cycle.hub}
    message = EmailMessage(subject, render_to_string("orders/email/order.txt", context))
    if kind != "cancelled":
        # Shown at the pickup point, it opens the order for the volunteers there; and the
        # pickup for the household's calendar (the same event as in its feed).
        message.attach(f"{order.number}.png", pickup_qr_png(order), "image/png")
        invitation = ical.pickup_invitation(order, url=context["url"])
        message.attach(f"{order.number}.ics", invitation, "text/calendar")
    return message


def pickup_qr_png(order: Order) -> bytes:
    """A QR code of the order's scan address (``pickup_points:scan``), as PNG."""
    url = settings.SITE_URL + reverse("pickup_points:scan", args=[order.number])
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=6, border=2)
    return out.getvalue()


@outbox.builder(ORDER_LINK)
def build_order_link_email(params: dict) -> EmailMessage:
    """The secret link of an order, to its own address (someone checking out with that
    address was told it was sent there)."""
    order = Order.objects.select_related("cycle__hub").get(pk=params["order_id"])
    context = {
        "order": order,
        "hub": order.cycle.hub,
        "site_name": settings.SITE_NAME,
        "url": settings.SITE_URL + order.get_secret_url(),
    }
    subject = _("Your order %(number)s at %(hub)s") % {
        "number": order.number,
        "hub": order.cycle.hub,
    }
    return EmailMessage(subject, render_to_string("orders/email/order_link.txt", context))
