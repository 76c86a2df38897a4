"""What a hub's managers must know of a cycle's money and e-mails.

- Card payments to check: Stripe events that did not match their order and were not
  applied (``orders.models.PaymentAnomaly``), on the cycle's page and, for the last weeks,
  on the hub's dashboard (which lives in foodhub.hubs and does not import orders: the
  template asks for it).
- The households' e-mails about their orders (confirmations, changes, cancellations): how
  many left, wait, failed or may not have left; and the cycle's SMS (confirmations,
  reminders, "the shop is open") alike.
"""

from datetime import timedelta

from django import template
from django.utils import timezone

from orders import order_emails, outbox
from orders.models import PaymentAnomaly
from orders.sms import services as sms

register = template.Library()

# The dashboard shows what was recorded this long ago at most; each cycle's page, all.
DASHBOARD_DAYS = 30
SHOWN = 20


@register.inclusion_tag("orders/manage/_payment_anomalies.html")
def payment_anomalies(hub, cycle=None):
    anomalies = PaymentAnomaly.objects.filter(hub=hub).select_related("order")
    if cycle is not None:
        anomalies = anomalies.filter(order__cycle=cycle)
    else:
        since = timezone.now() - timedelta(days=DASHBOARD_DAYS)
        anomalies = anomalies.filter(created_at__gte=since)
    return {"hub": hub, "anomalies": list(anomalies[:SHOWN])}


@register.inclusion_tag("orders/manage/_order_emails.html")
def order_email_counts(cycle):
    emails, texts = order_emails.key_prefix(cycle.pk), sms.cycle_prefix(cycle.pk)
    both = outbox.counts_by_prefix(emails, texts)
    counts, sms_counts = both[emails], both[texts]
    return {"counts": counts, "any": any(counts.values()), "sms": sms_counts,
            "any_sms": any(sms_counts.values())}  # fmt: skip
