from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from foodhub.collation import french
from foodhub.members import managed_by

from .models import Hub


def hubs_managed_by(user) -> QuerySet[Hub]:
    return managed_by(user, Hub.objects.all(), memberships__user=user)


def get_managed_hub(user, slug: str) -> Hub:
    """The hub ``slug`` if ``user`` manages it, else 404 (we don't reveal what exists)."""
    return get_object_or_404(hubs_managed_by(user), slug=slug)


def public_hubs() -> QuerySet[Hub]:
    return Hub.objects.annotate(producer_count=Count("producers", distinct=True)).order_by(
        french("name")
    )
