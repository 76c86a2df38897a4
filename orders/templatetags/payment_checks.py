"""Card payments the hub's managers must check: Stripe events that did not match their
order and were not applied (``orders.models.PaymentAnomaly``). Shown on the cycle's page
and, for the last weeks, on the hub's dashboard (which lives in foodhub.hubs and does not
import orders: the template asks for it)."""

from datetime import timedelta

from django import template
from django.utils import timezone

from orders.models import PaymentAnomaly

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
