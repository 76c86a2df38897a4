"""The hub dashboard's view of its cycles (the dashboard lives in foodhub.hubs, which does
not import orders: the template asks for it)."""

from django import template

from orders import reports
from orders.models import WorkerHeartbeat

register = template.Library()


@register.inclusion_tag("orders/manage/_hub_overview.html")
def hub_overview(hub):
    cycle = reports.current_cycle(hub)
    return {
        "hub": hub,
        "overview": reports.overview(cycle) if cycle else None,
        "chart": reports.history(hub),
        "worker_last": WorkerHeartbeat.last(),
        "worker_late": WorkerHeartbeat.is_late(),
    }
