"""Pickup point pages: the manager's list and form, the team page, and distribution day.

Every view looks the point up through ``selectors`` with the user asking: someone
outside its team (and not managing a hub it serves) gets a 404, as if it did not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.collation import french
from foodhub.hubs.models import Invitation
from foodhub.hubs.selectors import get_managed_hub
from foodhub.hubs.services import InvitationError, invite
from orders import services as order_services
from orders.document_views import download
from orders.models import Order, Payment

from . import documents, selectors, services
from .forms import PickupPaymentForm, PickupPointForm, TeamInviteForm
from .models import PickupPoint, PickupPointMembership

# Hub managers: the hub's pickup points.


@login_required
def hub_points(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    points = hub.pickup_points.order_by(french("name"))
    others = PickupPoint.objects.exclude(hubs=hub).order_by(french("name"))
    return render(
        request,
        "pickup_points/hub_points.html",
        {"hub": hub, "points": points, "others": others},
    )


@login_required
@require_POST
def point_attach(request, hub_slug):
    """Serve, from this hub too, a pickup point another hub already uses (a tiers-lieu
    often hosts several hubs)."""
    hub = get_managed_hub(request.user, hub_slug)
    point = PickupPoint.objects.exclude(hubs=hub).filter(slug=request.POST.get("point")).first()
    if point is None:
        messages.error(request, _("Choose a pickup point from the list."))
    else:
        point.hubs.add(hub)
        messages.success(
            request, _("%(hub)s now serves %(point)s.") % {"hub": hub.name, "point": point.name}
        )
    return redirect("pickup_points:hub_points", hub_slug=hub.slug)


@login_required
def point_create(request, hub_slug):
    return _point_form(request, get_managed_hub(request.user, hub_slug), point=None)


@login_required
def point_edit(request, hub_slug, point_slug):
    hub = get_managed_hub(request.user, hub_slug)
    return _point_form(request, hub, point=get_object_or_404(hub.pickup_points, slug=point_slug))


def _point_form(request, hub, *, point):
    form = PickupPointForm(request.POST or None, instance=point)
    if request.method == "POST" and form.is_valid():
        if point is None:
            point = services.create_point(form=form, hub=hub)
            done = _("Pickup point “%(name)s” created.")
        else:
            form.save()
            done = _("Pickup point “%(name)s” saved.")
        messages.success(request, done % {"name": point.name})
        return redirect("pickup_points:hub_points", hub_slug=hub.slug)
    return render(
        request,
        "pickup_points/point_form.html",
        {"hub": hub, "form": form, "point": point},
        status=400 if request.method == "POST" else 200,
    )


# The team.


@login_required
def my_points(request):
    """A volunteer's home: their points and the distributions coming up."""
    points = list(selectors.points_for(request.user).order_by(french("name")))
    coming = selectors.distributions_coming(request.user, points, timezone.localdate())
    rows = [{"point": point, "pickups": coming.get(point.pk, [])[:3]} for point in points]
    return render(request, "pickup_points/my_points.html", {"rows": rows})


@login_required
def team(request, point_slug):
    point = selectors.get_team_point(request.user, point_slug)
    coordinate = selectors.can_coordinate(request.user, point)
    today = timezone.localdate()
    return render(
        request,
        "pickup_points/team.html",
        {
            "point": point,
            "members": point.memberships.select_related("user"),
            "invitations": Invitation.objects.filter(
                pickup_point=point, accepted_at__isnull=True, expires_at__gt=timezone.now()
            )
            if coordinate
            else [],
            "can_coordinate": coordinate,
            "invite_form": TeamInviteForm(),
            "pickups": selectors.distributions_at(point, request.user)[:8],
            "today": today,
        },
    )


def _coordinated_point(request, point_slug):
    point = selectors.get_team_point(request.user, point_slug)
    if not selectors.can_coordinate(request.user, point):
        raise PermissionDenied(_("Only the coordinators of this pickup point can do that."))
    return point


@login_required
@require_POST
def team_invite(request, point_slug):
    point = _coordinated_point(request, point_slug)
    form = TeamInviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = invite(
                email=form.cleaned_data["email"],
                invited_by=request.user,
                pickup_point=point,
                coordinator=form.cleaned_data["coordinator"],
            )
        except InvitationError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    return redirect("pickup_points:team", point_slug=point.slug)


@login_required
@require_POST
def team_remove(request, point_slug, member_pk):
    point = _coordinated_point(request, point_slug)
    membership = get_object_or_404(PickupPointMembership, pk=member_pk, pickup_point=point)
    try:
        services.remove_member(membership=membership, by=request.user)
    except services.TeamError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("%(name)s left the team.") % {"name": membership.user.get_full_name()}
        )
    return redirect("pickup_points:team", point_slug=point.slug)


# Distribution day.


def _distribution(request, point_slug, cycle_pk):
    point = selectors.get_team_point(request.user, point_slug)
    cycle = selectors.get_distribution_cycle(request.user, point, cycle_pk)
    return point, cycle


@login_required
def distribution(request, point_slug, cycle_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    search = request.GET.get("q", "").strip()[:100]
    context = {
        "point": point,
        "cycle": cycle,
        "search": search,
        "rows": selectors.households(point, cycle, search=search),
        "counts": selectors.counts(point, cycle),
        "pickup": cycle.pickups.filter(pickup_point=point).prefetch_related("slots").first(),
    }
    if request.htmx and request.htmx.target == "households":
        return render(request, "pickup_points/_households.html", context)
    return render(request, "pickup_points/distribution.html", context)


@login_required
def distribution_list(request, point_slug, cycle_pk):
    """The printed list of the day (PDF, or CSV with ?format=csv)."""
    point, cycle = _distribution(request, point_slug, cycle_pk)
    name = f"{cycle.hub.order_prefix}-{slugify(cycle.name)}-{point.slug}".lower()
    if request.GET.get("format") == "csv":
        return download(documents.distribution_list_csv(point, cycle), f"{name}.csv", csv=True)
    return download(documents.distribution_list_pdf(point, cycle), f"{name}.pdf")


@login_required
def distribution_order(request, point_slug, cycle_pk, order_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    row = selectors.household(point, cycle, order_pk, detail=True)
    return render(
        request,
        "pickup_points/distribution_order.html",
        {
            "point": point,
            "cycle": cycle,
            "row": row,
            "payment_form": _payment_form(row),
            "events": row.order.events.select_related("by").order_by("at", "pk"),
        },
    )


def _payment_form(row):
    return PickupPaymentForm(initial={"amount": row.due}) if row.due > 0 else None


def _row_response(request, point, cycle, order_pk, *, error: str = "", status: int = 200):
    """After a tap: the household's row again (htmx), or back to the list."""
    if request.htmx:
        row = selectors.household(point, cycle, order_pk)
        return render(
            request,
            "pickup_points/_household_row.html",
            {
                "point": point,
                "cycle": cycle,
                "row": row,
                "error": error,
                "counts": selectors.counts(point, cycle),
                "oob": True,
            },
            status=status,
        )
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    detail = reverse("pickup_points:order", args=[point.slug, cycle.pk, order_pk])
    if target == "detail":
        return redirect(detail)
    return redirect(
        reverse("pickup_points:distribution", args=[point.slug, cycle.pk]) + f"#order-{order_pk}"
    )


@login_required
@require_POST
def set_collected(request, point_slug, cycle_pk, order_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    order = get_object_or_404(selectors.orders_here(point, cycle), pk=order_pk)
    collected = request.POST.get("collected") == "1"
    try:
        order_services.set_collected(order=order, collected=collected, by=request.user)
    except order_services.OrderError as error:
        return _row_response(request, point, cycle, order.pk, error=str(error), status=422)
    return _row_response(request, point, cycle, order.pk)


@login_required
@require_POST
def record_payment(request, point_slug, cycle_pk, order_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    order = get_object_or_404(selectors.orders_here(point, cycle), pk=order_pk)
    form = PickupPaymentForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _row_response(request, point, cycle, order.pk, error=error, status=422)
    try:
        order_services.record_payment(
            order=order,
            method=form.cleaned_data["method"],
            amount=form.cleaned_data["amount"],
            by=request.user,
        )
    except order_services.OrderError as error:
        return _row_response(request, point, cycle, order.pk, error=str(error), status=422)
    return _row_response(request, point, cycle, order.pk)


@login_required
@require_POST
def cancel_payment(request, point_slug, cycle_pk, order_pk, payment_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    order = get_object_or_404(selectors.orders_here(point, cycle), pk=order_pk)
    payment = get_object_or_404(Payment, pk=payment_pk, order=order)
    try:
        order_services.cancel_payment(payment=payment, by=request.user)
    except order_services.OrderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Payment cancelled."))
    return redirect(
        "pickup_points:order", point_slug=point.slug, cycle_pk=cycle.pk, order_pk=order.pk
    )


@login_required
def scan(request, number):
    """The QR code of a crate label or a confirmation e-mail: that order on distribution day,
    for the team of its pickup point (and its hub's managers); nobody else learns anything."""
    order = Order.objects.filter(number=number).select_related("cycle_pickup").first()
    if order is None:
        raise Http404
    if order.user_id is not None and order.user_id == request.user.pk:
        # The household scanning its own code: its order page.
        return redirect("orders:order_detail", number=order.number)
    point = order.cycle_pickup.pickup_point
    try:
        selectors.get_team_point(request.user, point.slug)
        selectors.get_distribution_cycle(request.user, point, order.cycle_id)
    except Http404:
        raise Http404 from None
    return redirect(
        "pickup_points:order", point_slug=point.slug, cycle_pk=order.cycle_id, order_pk=order.pk
    )
