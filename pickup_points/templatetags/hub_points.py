"""The hub dashboard's view of its pickup points (the dashboard lives in foodhub.hubs,
which does not import pickup_points: the template asks for it)."""

from django import template
from django.db.models import Count, Q

from ..models import SharingRequest

register = template.Library()


@register.inclusion_tag("pickup_points/_hub_points_summary.html")
def hub_points_summary(hub):
    """How many points serve the hub (its own, shared with it), the other hubs' requests
    waiting for its answer, and its own requests waiting for one."""
    figures = hub.pickup_points.aggregate(
        total=Count("pk"), owned=Count("pk", filter=Q(owner_hub=hub))
    )
    return {
        "hub": hub,
        "owned": figures["owned"],
        "shared": figures["total"] - figures["owned"],
        "to_answer": list(
            SharingRequest.objects.waiting()
            .filter(pickup_point__owner_hub=hub)
            .select_related("pickup_point", "hub")
            .order_by("created_at", "pk")
        ),
        "asked": SharingRequest.objects.waiting().filter(hub=hub).count(),
    }
