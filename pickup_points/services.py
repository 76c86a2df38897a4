"""Use cases of pickup points: create and edit them, run their team."""

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import PickupPoint, PickupPointMembership


class TeamError(Exception):
    """A team change that cannot be made; the message is for the user."""


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:70] or "point"
    slug, n = base, 2
    taken = PickupPoint.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_point(*, form, hub) -> PickupPoint:
    """A pickup point created by a hub manager serves that hub from the start."""
    point = form.save(commit=False)
    point.slug = unique_slug(point.name)
    point.save()
    point.hubs.add(hub)
    return point


@transaction.atomic
def remove_member(*, membership: PickupPointMembership, by) -> None:
    """Take someone off a point's team; the last coordinator stays (someone must invite)."""
    membership = PickupPointMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == PickupPointMembership.Role.COORDINATOR:
        others = PickupPointMembership.objects.filter(
            pickup_point_id=membership.pickup_point_id,
            role=PickupPointMembership.Role.COORDINATOR,
        ).exclude(pk=membership.pk)
        if not others.select_for_update().exists():
            raise TeamError(_("A pickup point keeps at least one coordinator."))
    membership.delete()
