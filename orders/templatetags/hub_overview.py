"""The hub dashboard's view of its cycles (the dashboard lives in foodhub.hubs, which does
not import orders: the template asks for it)."""

from django import template
from django.utils import timezone

from orders.models import WorkerHeartbeat
from orders.printouts import reports

register = template.Library()


@register.inclusion_tag("orders/manage/_hub_overview.html")
def hub_overview(hub):
    now = timezone.now()
    return {
        "hub": hub,
        "cycles": reports.hub_cycles(hub, now=now),
        "chart": reports.history(hub, now=now),
        "worker_last": WorkerHeartbeat.last(),
        "worker_late": WorkerHeartbeat.is_late(),
    }
