"""The hub dashboard's view of its pickup points (the dashboard lives in foodhub.hubs,
which does not import pickup_points: the template asks for it)."""

from django import template
from django.db.models import Count, Q
from django.utils import timezone

from ..models import SharingRequest

register = template.Library()


@register.inclusion_tag("pickup_points/_hub_points_summary.html")
def hub_points_summary(hub):
    """How many points serve the hub (its own, shared with it), and the other hubs'
    requests waiting for its answer: one query, two when some wait."""
    waiting = Q(
        owner_hub=hub,
        sharing_requests__status=SharingRequest.Status.PENDING,
        sharing_requests__expires_at__gt=timezone.now(),
    )
    figures = hub.pickup_points.aggregate(
        total=Count("pk", distinct=True),
        owned=Count("pk", filter=Q(owner_hub=hub), distinct=True),
        to_answer=Count("sharing_requests", filter=waiting, distinct=True),
    )
    to_answer = []
    if figures["to_answer"]:
        to_answer = list(
            SharingRequest.objects.waiting()
            .filter(pickup_point__owner_hub=hub)
            .select_related("pickup_point", "hub")
            .order_by("created_at", "pk")
        )
    return {
        "hub": hub,
        "owned": figures["owned"],
        "shared": figures["total"] - figures["owned"],
        "to_answer": to_answer,
    }
