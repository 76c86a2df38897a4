from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from foodhub.collation import french

from .models import Hub


def hubs_managed_by(user) -> QuerySet[Hub]:
    if not user.is_authenticated:
        return Hub.objects.none()
    if user.is_superuser:
        return Hub.objects.all()
    return Hub.objects.filter(memberships__user=user).distinct()


def get_managed_hub(user, slug: str) -> Hub:
    """The hub ``slug`` if ``user`` manages it, else 404 (we don't reveal what exists)."""
    return get_object_or_404(hubs_managed_by(user), slug=slug)


def public_hubs() -> QuerySet[Hub]:
    return Hub.objects.annotate(producer_count=Count("producers", distinct=True)).order_by(
        french("name")
    )
