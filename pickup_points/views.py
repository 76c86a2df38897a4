"""Pickup point pages: the manager's list and form, the team page, and distribution day.

Every view looks the point up through ``selectors`` with the user asking: someone
outside its team (and not managing a hub it serves) gets a 404, as if it did not exist.
What changes the point (its details, its team, which hubs share it) is for its managers
only (``selectors.can_manage``): the others who see it get a 403.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from foodhub.collation import french
from foodhub.hubs.models import Hub, Invitation
from foodhub.hubs.selectors import get_managed_hub
from foodhub.hubs.services import InvitationError, invite
from foodhub.shortcuts import outcome_message, render_form
from orders.billing import counter
from orders.billing.forms import PaymentForm
from orders.checkout import services as order_services
from orders.models import Order, Payment
from orders.printouts.document_views import download

from . import documents, offline, selectors, services
from .forms import PickupPointForm, SharingRequestForm, TeamInviteForm
from .models import PickupPointMembership, SharingRequest

NOT_A_MANAGER = gettext_lazy(
    "Only the coordinators of this pickup point and the managers of the hub that runs it "
    "can do that."
)

# Hub managers: the hub's pickup points, and the points it shares with other hubs.


@login_required
def hub_points(request, hub_slug):
    """The points serving the hub (its own, and those other hubs share with it), its
    requests waiting for an answer, and the other points it could ask to use."""
    hub = get_managed_hub(request.user, hub_slug)
    waiting = Q(
        sharing_requests__status=SharingRequest.Status.PENDING,
        sharing_requests__expires_at__gt=timezone.now(),
    )
    points = list(
        hub.pickup_points.select_related("owner_hub")
        .prefetch_related(Prefetch("hubs", queryset=Hub.objects.order_by(french("name"))))
        .annotate(waiting=Count("sharing_requests", filter=waiting, distinct=True))
        .order_by(french("name"))
    )
    managed = set(
        selectors.points_managed_by(request.user).filter(hubs=hub).values_list("pk", flat=True)
    )
    for point in points:
        point.owned = point.owner_hub_id == hub.pk
        point.managed = point.pk in managed
        point.partners = [other for other in point.hubs.all() if other.pk != hub.pk]
    asked = list(
        SharingRequest.objects.waiting()
        .filter(hub=hub)
        .select_related("pickup_point", "requested_by")
        .order_by(french("pickup_point__name"), "pk")
    )
    search = request.GET.get("q", "").strip()[:100]
    available, found = selectors.points_to_ask(hub, search=search)
    asked_slugs = {sharing.pickup_point.slug for sharing in asked}
    for point in available:
        point["asked"] = point["slug"] in asked_slugs
    return render(
        request,
        "pickup_points/hub_points.html",
        {
            "hub": hub,
            "points": points,
            "asked": asked,
            "available": available,
            "found": found,
            "search": search,
            "request_form": SharingRequestForm(hub=hub),
        },
    )


@login_required
@require_POST
def point_request(request, hub_slug):
    """Ask to serve, from this hub too, a point another hub runs (a tiers-lieu often hosts
    several hubs): its managers accept or decline."""
    hub = get_managed_hub(request.user, hub_slug)
    form = SharingRequestForm(request.POST, hub=hub)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("pickup_points:hub_points", hub_slug=hub.slug)
    point = form.cleaned_data["point"]
    try:
        sharing, created = services.request_sharing(
            point=point, hub=hub, by=request.user, message=form.cleaned_data["message"]
        )
    except services.SharingError as error:
        messages.error(request, str(error))
    else:
        if created:
            done = _(
                "Request sent to the team of %(point)s: %(hub)s will serve it once they accept."
            )
        else:
            done = _("%(hub)s already asked to use %(point)s: the request waits for an answer.")
        messages.success(request, done % {"hub": hub.name, "point": point.name})
    return redirect("pickup_points:hub_points", hub_slug=hub.slug)


@login_required
@require_POST
def request_withdraw(request, hub_slug, request_pk):
    hub = get_managed_hub(request.user, hub_slug)
    sharing = get_object_or_404(
        SharingRequest.objects.select_related("pickup_point"), pk=request_pk, hub=hub
    )
    done = _("Request to use %(point)s withdrawn.") % {"point": sharing.pickup_point.name}
    with outcome_message(request, done, services.SharingError):
        services.withdraw_sharing_request(request=sharing, by=request.user)
    return redirect("pickup_points:hub_points", hub_slug=hub.slug)


@login_required
def point_leave(request, hub_slug, point_slug):
    """The hub stops serving a point another hub shares with it."""
    hub = get_managed_hub(request.user, hub_slug)
    point = get_object_or_404(hub.pickup_points, slug=point_slug)
    back = reverse("pickup_points:hub_points", args=[hub.slug])
    return _end_sharing(request, point, hub, back=back)


@login_required
def point_create(request, hub_slug):
    return _point_form(request, get_managed_hub(request.user, hub_slug), point=None)


@login_required
def point_edit(request, hub_slug, point_slug):
    """Only the point's managers edit it, not the hubs that merely share it."""
    hub = get_managed_hub(request.user, hub_slug)
    point = get_object_or_404(hub.pickup_points, slug=point_slug)
    if not selectors.can_manage(request.user, point):
        raise PermissionDenied(NOT_A_MANAGER)
    return _point_form(request, hub, point=point)


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
    return render_form(
        request, "pickup_points/point_form.html", {"hub": hub, "form": form, "point": point}
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
    """The point's page. Its team and managers see everything of it; the managers of a
    hub that only shares it see what their distributions need (address, hours, contact,
    their cycles), not the access information nor the team."""
    point = selectors.get_team_point(request.user, point_slug)
    manage = selectors.can_manage(request.user, point)
    private = manage or selectors.is_on_team(request.user, point)
    today = timezone.localdate()
    context = {
        "point": point,
        "private": private,
        "can_manage": manage,
        "pickups": selectors.distributions_at(point, request.user)[:8],
        "today": today,
    }
    if private:
        context["members"] = point.memberships.select_related("user")
        context["hubs"] = point.hubs.order_by(french("name"))
    if manage:
        context["invitations"] = Invitation.objects.filter(
            pickup_point=point, accepted_at__isnull=True, expires_at__gt=timezone.now()
        )
        context["invite_form"] = TeamInviteForm()
        context["requests"] = (
            point.sharing_requests.waiting()
            .select_related("hub", "requested_by")
            .order_by("created_at", "pk")
        )
    return render(request, "pickup_points/team.html", context)


def _managed_point(request, point_slug):
    """The point if the user manages it; 404 if they may not see it, 403 if they only
    see it (its team, or a hub that shares it)."""
    point = selectors.get_team_point(request.user, point_slug)
    if not selectors.can_manage(request.user, point):
        raise PermissionDenied(NOT_A_MANAGER)
    return point


@login_required
@require_POST
def team_invite(request, point_slug):
    point = _managed_point(request, point_slug)
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
    point = _managed_point(request, point_slug)
    membership = get_object_or_404(PickupPointMembership, pk=member_pk, pickup_point=point)
    done = _("%(name)s left the team.") % {"name": membership.user.get_full_name()}
    with outcome_message(request, done, services.TeamError):
        services.remove_member(membership=membership, by=request.user)
    return redirect("pickup_points:team", point_slug=point.slug)


# Sharing, on the point's side.


@login_required
@require_POST
def request_answer(request, point_slug, request_pk, accept):
    point = _managed_point(request, point_slug)
    sharing = get_object_or_404(
        SharingRequest.objects.select_related("hub"), pk=request_pk, pickup_point=point
    )
    done = _("%(point)s now serves %(hub)s too.") if accept else _("Request of %(hub)s declined.")
    done %= {"point": point.name, "hub": sharing.hub.name}
    with outcome_message(request, done, services.SharingError):
        services.answer_sharing_request(request=sharing, accept=accept, by=request.user)
    return redirect(reverse("pickup_points:team", args=[point.slug]) + "#sharing")


@login_required
def point_end_sharing(request, point_slug, hub_slug):
    """The point's managers stop serving a hub that shares the point."""
    point = _managed_point(request, point_slug)
    hub = get_object_or_404(point.hubs, slug=hub_slug)
    back = reverse("pickup_points:team", args=[point.slug]) + "#sharing"
    return _end_sharing(request, point, hub, back=back)


def _end_sharing(request, point, hub, *, back: str):
    """Either side: what ending the sharing does (or why it cannot end now), then do it."""
    if request.method == "POST":
        done = _("%(point)s no longer serves %(hub)s.") % {"point": point.name, "hub": hub.name}
        with outcome_message(request, done, services.SharingError):
            services.end_sharing(point=point, hub=hub, by=request.user)
        return redirect(back)
    try:
        services.check_end_sharing(point, hub)
    except services.SharingError as error:
        problem = str(error)
    else:
        problem = ""
    return render(
        request,
        "pickup_points/end_sharing.html",
        {
            "point": point,
            "hub": hub,
            "problem": problem,
            "baskets": services.weekly_baskets_at(point, hub),
            "back": back,
        },
    )


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
    context["generated_at"] = timezone.now()
    context["offline_strings"] = offline_strings()
    return render(request, "pickup_points/distribution.html", context)


def offline_strings() -> dict[str, str]:
    """What js/offline.js says, in the user's language (``%(count)s``, ``%(time)s``...
    are filled in by the script; ``_one``/``_other``: the plural forms)."""

    def plural(forms):
        # ``forms(n)`` calls ngettext with its texts written out (for makemessages).
        return {"one": forms(1), "other": forms(2)}

    return {
        "saved": _("List kept on this phone (%(time)s)."),
        "offline": plural(
            lambda n: ngettext(
                "Offline — %(count)s change waiting", "Offline — %(count)s changes waiting", n
            )
        ),
        "sending": plural(
            lambda n: ngettext(
                "%(count)s change waiting to be sent…", "%(count)s changes waiting to be sent…", n
            )
        ),
        "synced": _("Synchronised (%(time)s): every change was sent."),
        "refused": _("Refused: %(name)s — %(message)s"),
        "other_account": _(
            "Changes made on this phone with another account: %(count)s. They will be sent "
            "when that account is logged in again."
        ),
        "login": _("Log in again to send the changes waiting."),
        "dismiss": _("Read"),
        "pending": _("waiting to be sent"),
        "collected": _("Collected"),
        "undo": _("tap to undo"),
        "paid": _("%(amount)s received (%(method)s)"),
        "credit": _("paid with its credit"),
        "bad_amount": _("Enter an amount in euros, such as 12,50."),
        "too_much": _("That is more than the %(due)s owed today."),
    }


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
            "events": row.order.events.select_related("by").order_by("at", "pk"),
        },
    )


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
    form = PaymentForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return _row_response(request, point, cycle, order.pk, error=error, status=422)
    try:
        counter.record_payment(
            order=order,
            method=form.cleaned_data["method"],
            amount=form.cleaned_data["amount"],
            keep_change=form.cleaned_data["keep_change"],
            by=request.user,
        )
    except order_services.OrderError as error:
        return _row_response(request, point, cycle, order.pk, error=str(error), status=422)
    return _row_response(request, point, cycle, order.pk)


@login_required
@require_POST
def pay_with_credit(request, point_slug, cycle_pk, order_pk):
    """The household's credit pays its order: nothing received, one tap."""
    point, cycle = _distribution(request, point_slug, cycle_pk)
    order = get_object_or_404(selectors.orders_here(point, cycle), pk=order_pk)
    try:
        counter.pay_with_credit(order=order, by=request.user)
    except order_services.OrderError as error:
        return _row_response(request, point, cycle, order.pk, error=str(error), status=422)
    return _row_response(request, point, cycle, order.pk)


@login_required
@require_POST
def cancel_payment(request, point_slug, cycle_pk, order_pk, payment_pk):
    point, cycle = _distribution(request, point_slug, cycle_pk)
    order = get_object_or_404(selectors.orders_here(point, cycle), pk=order_pk)
    payment = get_object_or_404(Payment, pk=payment_pk, order=order)
    with outcome_message(request, _("Payment cancelled."), order_services.OrderError):
        counter.cancel_payment(payment=payment, by=request.user)
    return redirect(
        "pickup_points:order", point_slug=point.slug, cycle_pk=cycle.pk, order_pk=order.pk
    )


# Distribution day without a network (``offline``): the list kept on the phone, the
# changes it queued, the service worker that keeps the pages, the home-screen manifest.


def _row_html(request, point, cycle, row) -> str:
    return render_to_string(
        "pickup_points/_household_row.html",
        {"point": point, "cycle": cycle, "row": row},
        request=request,
    )


def _counts_html(request, point, cycle) -> str:
    return render_to_string(
        "pickup_points/_counts.html", {"counts": selectors.counts(point, cycle)}, request=request
    )


def _private_json(data, **kwargs) -> JsonResponse:
    """Households' names: kept by the page's script, never by a cache on the way."""
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False}, **kwargs)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def distribution_snapshot(request, point_slug, cycle_pk):
    """The list as the page shows it, for the phone to keep (its rows' HTML, and what a
    tap offline needs: what is due, when the order was ticked), with a fresh CSRF token
    for sending the changes queued meanwhile."""
    point, cycle = _distribution(request, point_slug, cycle_pk)
    rows = selectors.households(point, cycle)
    return _private_json(
        {
            "point": point.slug,
            "cycle": cycle.pk,
            "user": request.user.pk,
            "generated_at": timezone.now().isoformat(),
            "csrf": get_token(request),
            "counts": _counts_html(request, point, cycle),
            "rows": [
                {
                    "order": row.order.pk,
                    "number": row.order.number,
                    "name": row.order.full_name,
                    "html": _row_html(request, point, cycle, row),
                }
                for row in rows
            ],
        }
    )


@login_required
@require_POST
def distribution_sync(request, point_slug, cycle_pk):
    """The changes a phone queued (JSON ``{"actions": [...]}``, at most
    ``offline.MAX_BATCH``), applied in order, once each; one answer per change, and the
    rows they touched as they are now."""
    point, cycle = _distribution(request, point_slug, cycle_pk)
    try:
        actions = json.loads(request.body)["actions"]
    except (ValueError, TypeError, KeyError):
        actions = None
    if not isinstance(actions, list) or len(actions) > offline.MAX_BATCH:
        return _private_json(
            {
                "error": _("The changes sent are unreadable (at most %(max)s at a time).")
                % {"max": offline.MAX_BATCH}
            },
            status=400,
        )
    results = offline.apply_actions(point=point, cycle=cycle, actions=actions, by=request.user)
    touched = {result.order for result in results if result.order}
    live = {row.order.pk: row for row in selectors.households(point, cycle, only=touched)}
    return _private_json(
        {
            "results": [result.as_json() for result in results],
            # An order no longer on the list (cancelled meanwhile) has an empty row.
            "rows": {
                pk: _row_html(request, point, cycle, live[pk]) if pk in live else ""
                for pk in touched
            },
            "counts": _counts_html(request, point, cycle),
        }
    )


@require_GET
def service_worker(request):
    """The service worker, served under /points/ so that it may keep the pages there
    (a script under /static/ could only control /static/)."""
    with open(finders.find("js/offline-sw.js"), encoding="utf-8") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("pickup_points:my_points")
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def manifest(request):
    """The web app manifest: the volunteers' pages added to a phone's home screen."""
    home = reverse("pickup_points:my_points")
    icons = [
        {"src": static(f"icons/distribution-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "any maskable"}
        for size in (192, 512)
    ]  # fmt: skip
    return JsonResponse(
        {
            "name": _("%(site)s — distribution day") % {"site": settings.SITE_NAME},
            "short_name": _("Distribution"),
            "description": _("The list of the households coming, even without a network."),
            "lang": get_language(),
            "start_url": home,
            "scope": home,
            "display": "standalone",
            "background_color": "#fbfaf6",
            "theme_color": "#1f6b3a",
            "icons": icons,
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
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
