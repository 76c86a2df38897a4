"""Who manages what: the members of a hub or of a producer manage it, a platform admin
manages everything, an anonymous visitor nothing."""

from django.db.models import QuerySet


def managed_by(user, queryset: QuerySet, **membership) -> QuerySet:
    """The rows of ``queryset`` that ``user`` manages: those matching ``membership`` (a
    lookup naming the user, such as ``memberships__user=user``)."""
    if not user.is_authenticated:
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.filter(**membership).distinct()
