"""Use cases of pickup points: create and edit them, run their team, share them between
hubs."""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from foodhub.hubs.models import Hub
from orders.models import CyclePickupPoint, OrderCycle, SchedulePickup, WeeklyBasket
from producers.templatetags import money

from . import selectors
from .models import PickupPoint, PickupPointMembership, SharingRequest

Status = SharingRequest.Status


class TeamError(Exception):
    """A team change that cannot be made; the message is for the user."""


class SharingError(Exception):
    """A sharing request or change that cannot be made; the message is for the user."""


def unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:70] or "point"
    slug, n = base, 2
    taken = PickupPoint.objects.exclude(pk=exclude_pk)
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_point(*, form, hub) -> PickupPoint:
    """A pickup point created by a hub manager is run by that hub and serves it."""
    point = form.save(commit=False)
    point.slug = unique_slug(point.name)
    point.owner_hub = hub
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


# Sharing a point with another hub: the hub asks, the point's managers answer.


def _lock_point(point: PickupPoint) -> PickupPoint:
    return PickupPoint.objects.select_for_update().get(pk=point.pk)


def request_sharing(
    *, point: PickupPoint, hub: Hub, by, message: str = ""
) -> tuple[SharingRequest, bool]:
    """``hub`` asks to serve ``point``; returns the request and whether it is new.

    1. Refuse when the point already serves the hub, or when nobody could answer (no
       coordinator and no hub running it).
    2. A request of the same hub for the same point still waiting is returned as it is:
       asking twice makes one request and one e-mail. One past its expiry is marked
       expired, and a new one made.
    3. The point's managers get an e-mail once the transaction has committed.
    """
    with transaction.atomic():
        point = _lock_point(point)
        if point.hubs.filter(pk=hub.pk).exists():
            raise SharingError(
                _("%(hub)s already serves %(point)s.") % {"hub": hub.name, "point": point.name}
            )
        if not selectors.point_managers(point).exists():
            raise SharingError(
                _(
                    "Nobody runs %(point)s on this site yet (no coordinator, no hub): ask the "
                    "platform's administrators."
                )
                % {"point": point.name}
            )
        pending = SharingRequest.objects.filter(
            pickup_point=point, hub=hub, status=Status.PENDING
        ).first()
        if pending is not None and pending.is_waiting:
            return pending, False
        if pending is not None:
            pending.status = Status.EXPIRED
            pending.save(update_fields=["status"])
        try:
            with transaction.atomic():
                request = SharingRequest.objects.create(
                    pickup_point=point, hub=hub, requested_by=by, message=message.strip()
                )
        except IntegrityError:  # the same request, made at the same instant
            return SharingRequest.objects.get(
                pickup_point=point, hub=hub, status=Status.PENDING
            ), False
        transaction.on_commit(lambda: send_sharing_request_emails(request))
    return request, True


def _waiting_request(request: SharingRequest) -> SharingRequest:
    """The request, locked, if it still waits for an answer; else why not."""
    request = SharingRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_waiting:
        return request
    if request.status == Status.WITHDRAWN:
        raise SharingError(_("This request was withdrawn by the hub that made it."))
    if request.status in (Status.PENDING, Status.EXPIRED):
        raise SharingError(_("This request has expired: the hub may ask again."))
    raise SharingError(_("This request has already been answered."))


def answer_sharing_request(*, request: SharingRequest, accept: bool, by) -> SharingRequest:
    """The point's side accepts or declines a request, once; only acceptance makes the
    point serve the hub. The hub's managers are told by e-mail."""
    with transaction.atomic():
        _lock_point(request.pickup_point)
        request = _waiting_request(request)
        request.status = Status.ACCEPTED if accept else Status.DECLINED
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["status", "decided_at", "decided_by"])
        if accept:
            request.pickup_point.hubs.add(request.hub)
        transaction.on_commit(lambda: send_sharing_answer_emails(request))
    return request


def withdraw_sharing_request(*, request: SharingRequest, by) -> SharingRequest:
    """The asking hub takes its request back before it is answered."""
    with transaction.atomic():
        request = _waiting_request(request)
        request.status = Status.WITHDRAWN
        request.decided_at, request.decided_by = timezone.now(), by
        request.save(update_fields=["status", "decided_at", "decided_by"])
    return request


def cycles_using(point: PickupPoint, hub: Hub) -> list[OrderCycle]:
    """The hub's cycles that still need the point: a pickup there today or later, in a
    cycle not cancelled (drafts included)."""
    pickups = (
        CyclePickupPoint.objects.filter(
            cycle__hub=hub, pickup_point=point, pickup_date__gte=timezone.localdate()
        )
        .exclude(cycle__status=OrderCycle.Status.CANCELLED)
        .select_related("cycle")
        .order_by("pickup_date", "pk")
    )
    return [pickup.cycle for pickup in pickups]


def weekly_baskets_at(point: PickupPoint, hub: Hub) -> int:
    """How many households' weekly baskets of the hub are collected at the point."""
    return (
        WeeklyBasket.objects.filter(hub=hub, pickup_point=point)
        .exclude(status=WeeklyBasket.Status.CANCELLED)
        .count()
    )


def check_end_sharing(point: PickupPoint, hub: Hub) -> None:
    """Raise ``SharingError`` saying why ``hub`` cannot stop serving ``point`` now."""
    if point.owner_hub_id == hub.pk:
        raise SharingError(
            _("%(hub)s runs %(point)s: it cannot stop serving it.")
            % {"hub": hub.name, "point": point.name}
        )
    if not point.hubs.filter(pk=hub.pk).exists():
        raise SharingError(
            _("%(point)s no longer serves %(hub)s.") % {"hub": hub.name, "point": point.name}
        )
    cycles = cycles_using(point, hub)
    if cycles:
        raise SharingError(
            _(
                "%(hub)s still distributes at %(point)s in these cycles: %(cycles)s. Take the "
                "point out of them, or wait until their distribution is over."
            )
            % {
                "hub": hub.name,
                "point": point.name,
                "cycles": ", ".join(cycle.name for cycle in cycles),
            }
        )


def end_sharing(*, point: PickupPoint, hub: Hub, by) -> None:
    """Stop serving ``hub`` from ``point``, asked by either side.

    1. The hub that runs the point cannot be taken off it.
    2. Refuse while a cycle of the hub still needs the point (``cycles_using``): its
       households have orders, or will, to collect there.
    3. Take the hub off the point; its weekly schedules stop planning pickups there; the
       request that started the sharing is marked ended; the other side is told.
       Weekly baskets collected there are no longer placed: each cycle tells their
       household the point is not served (they choose another one).
    """
    with transaction.atomic():
        point = _lock_point(point)
        check_end_sharing(point, hub)
        point.hubs.remove(hub)
        SchedulePickup.objects.filter(schedule__hub=hub, pickup_point=point).delete()
        SharingRequest.objects.filter(pickup_point=point, hub=hub, status=Status.ACCEPTED).update(
            status=Status.ENDED, ended_at=timezone.now(), ended_by=by
        )
        transaction.on_commit(lambda: send_sharing_ended_emails(point, hub, by))


# E-mails (sent like the invitations: once the transaction has committed, each person in
# their own language).


def _send(recipients, subject_and_body) -> None:
    """One e-mail per person, built by ``subject_and_body()`` in their language."""
    messages = []
    for user in recipients:
        with translation.override(user.email_language):
            subject, body = subject_and_body()
        messages.append(EmailMessage(subject, body, None, [user.email]))
    if messages:
        get_connection().send_messages(messages)


def _hub_managers(hub: Hub):
    return hub.managers.filter(is_active=True).order_by("pk")


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def send_sharing_request_emails(request: SharingRequest) -> None:
    request = SharingRequest.objects.select_related(
        "pickup_point__owner_hub", "hub", "requested_by"
    ).get(pk=request.pk)
    point = request.pickup_point

    def build():
        context = {
            "request": request,
            "point": point,
            "hub": request.hub,
            "requester": request.requested_by,
            "expires": money.moment(request.expires_at),
            "url": _url("pickup_points:team", point.slug) + "#sharing",
            "site_name": settings.SITE_NAME,
        }
        subject = _("%(hub)s asks to use your pickup point %(point)s") % {
            "hub": request.hub.name,
            "point": point.name,
        }
        return subject, render_to_string("pickup_points/email/sharing_request.txt", context)

    _send(selectors.point_managers(point), build)


def send_sharing_answer_emails(request: SharingRequest) -> None:
    request = SharingRequest.objects.select_related("pickup_point", "hub").get(pk=request.pk)

    def build():
        accepted = request.status == Status.ACCEPTED
        context = {
            "accepted": accepted,
            "point": request.pickup_point,
            "hub": request.hub,
            "url": _url("pickup_points:hub_points", request.hub.slug),
            "site_name": settings.SITE_NAME,
        }
        template = (
            _("%(point)s accepted to serve %(hub)s")
            if accepted
            else _("%(point)s declined to serve %(hub)s")
        )
        subject = template % {"point": request.pickup_point.name, "hub": request.hub.name}
        return subject, render_to_string("pickup_points/email/sharing_answer.txt", context)

    _send(_hub_managers(request.hub), build)


def send_sharing_ended_emails(point: PickupPoint, hub: Hub, by) -> None:
    """Tell the side that did not end the sharing."""
    by_hub = by is not None and hub.memberships.filter(user=by).exists()
    recipients = (
        selectors.point_managers(point).exclude(pk=by.pk)
        if by_hub
        else _hub_managers(hub).exclude(pk=getattr(by, "pk", None))
    )

    def build():
        context = {
            "point": point,
            "hub": hub,
            "by": by,
            "site_name": settings.SITE_NAME,
        }
        subject = _("%(point)s no longer serves %(hub)s") % {
            "point": point.name,
            "hub": hub.name,
        }
        return subject, render_to_string("pickup_points/email/sharing_ended.txt", context)

    _send(list(recipients), build)
