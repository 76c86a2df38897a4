"""The hub manager's order-cycle pages: thin views over ``orders.cycles``.

Every view finds the hub among those the user manages and the cycle among that hub's
cycles, so another hub's manager gets a 404 and learns nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from foodhub.collation import french
from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import outcome_message, render_form
from orders.billing import counter
from orders.billing.forms import PaymentForm
from orders.checkout import selectors, services
from orders.emails import close_emails
from orders.models import Offer, Order, OrderCycle
from producers.models import VatRate

from . import cycles
from .cycle_forms import (
    CancelForm,
    CloneForm,
    CloseNowForm,
    CycleForm,
    OfferSelectionForm,
    OfferTermsForm,
    VariantFilterForm,
)
from .pickup_editor import CyclePickupForm, edit_pickups

CLOSED_PER_PAGE = 20


def _cycle_of(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub).select_related("hub"), pk=pk)
    return hub, cycle


def _with_totals(queryset):
    live = Q(orders__status__in=Order.LIVE_STATUSES)
    return queryset.annotate(
        live_orders=Count("orders", filter=live), live_total=Sum("orders__total", filter=live)
    )


@login_required
def cycle_list(request, hub_slug):
    """Cycles by phase: open, upcoming, drafts, then closed (paginated) and cancelled."""
    hub = get_managed_hub(request.user, hub_slug)
    now = timezone.now()
    published = _with_totals(hub.order_cycles.filter(status=OrderCycle.Status.PUBLISHED))
    closed = published.filter(closes_at__lte=now).order_by("-closes_at", "pk")
    sections = [
        ("open", _("Open"), published.filter(opens_at__lte=now, closes_at__gt=now)),
        ("upcoming", _("Upcoming"), published.filter(opens_at__gt=now).order_by("opens_at")),
        (
            "draft",
            _("Drafts"),
            _with_totals(hub.order_cycles.filter(status=OrderCycle.Status.DRAFT)),
        ),
    ]
    page = Paginator(closed, CLOSED_PER_PAGE).get_page(request.GET.get("page"))
    cancelled = _with_totals(hub.order_cycles.filter(status=OrderCycle.Status.CANCELLED))
    return render(
        request,
        "orders/manage/cycle_list.html",
        {
            "hub": hub,
            "sections": [(key, title, list(rows)) for key, title, rows in sections],
            "page": page,
            "cancelled": cancelled,
        },
    )


@login_required
def cycle_create(request, hub_slug):
    return _cycle_page(request, get_managed_hub(request.user, hub_slug), cycle=None)


@login_required
def cycle_edit(request, hub_slug, pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    return _cycle_page(request, hub, cycle=cycle)


def _changed_terms(form, cycle) -> dict:
    """The form's terms, leaving out a date the minute-precise input could not show exactly
    (a cycle created with seconds), so that saving an untouched form changes no date."""
    terms = dict(form.cleaned_data)
    for key in ("opens_at", "closes_at"):
        if terms[key] == getattr(cycle, key).replace(second=0, microsecond=0):
            terms[key] = None
    return terms


def _cycle_page(request, hub, *, cycle):
    """Step 1, the dates and fee: of a new draft (``cycle`` None), or of the cycle."""
    if cycle is None:
        initial, context = {"fee_vat_rate": VatRate.STANDARD}, {}
    else:
        initial = CycleForm.initial_for(cycle)
        context = {
            "phase": cycle.phase(),
            "notice_minutes": int(cycles.CHANGE_NOTICE.total_seconds() // 60),
        }
    form = CycleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if cycle is None:
                cycle = cycles.create_cycle(hub=hub, by=request.user, **form.cleaned_data)
                done = _("Draft cycle created: now choose the products.")
            else:
                cycles.update_cycle(cycle=cycle, by=request.user, **_changed_terms(form, cycle))
                done = _("Dates and fee saved.")
        except services.OrderError as error:
            form.add_error(getattr(error, "field", None), str(error))
        else:
            messages.success(request, done)
            return redirect("cycles:offers", hub_slug=hub.slug, pk=cycle.pk)
    return render_form(
        request,
        "orders/manage/cycle_form.html",
        {"hub": hub, "cycle": cycle, "form": form, "step": 1, **context},
    )


@login_required
def cycle_offers(request, hub_slug, pk):
    """Step 2: one producer at a time, its variants on sale to tick; then prices and caps."""
    hub, cycle = _cycle_of(request, hub_slug, pk)
    filters = VariantFilterForm(request.GET or None, hub=hub)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    producer = criteria.get("producer") or hub.producers.order_by(french("name")).first()
    variants = selectors.variants_for_hub(hub, producer=producer) if producer else None
    if variants is not None and criteria.get("q"):
        variants = variants.filter(product__name__icontains=criteria["q"])

    status = 200
    offers = cycle.offers.select_related("variant__product__producer").order_by(
        french("variant__product__producer__name"), french("variant__product__name"), "pk"
    )
    terms_form = OfferTermsForm(offers=offers)
    rows = []
    if variants is not None:
        offered = set(cycle.offers.filter(variant__in=variants).values_list("variant", flat=True))
        rows = [(variant, variant.pk in offered) for variant in variants]

    if request.method == "POST" and variants is not None:
        action = request.POST.get("action")
        try:
            if action == "select_all":
                if criteria.get("q"):
                    added = cycles.add_offers(cycle=cycle, variants=variants, by=request.user)
                else:
                    added = cycles.add_producer_offers(
                        cycle=cycle, producer=producer, by=request.user
                    )
                messages.success(
                    request,
                    ngettext("%(count)d product added.", "%(count)d products added.", len(added))
                    % {"count": len(added)},
                )
                return redirect(request.get_full_path())
            form = OfferSelectionForm(request.POST, variants=variants)
            if form.is_valid():
                added, removed = cycles.set_offers(
                    cycle=cycle,
                    variant_ids=[v.pk for v in form.cleaned_data["variants"]],
                    among=[v.pk for v in form.cleaned_data["shown"]],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("Offers saved: %(added)d added, %(removed)d removed.")
                    % {"added": len(added), "removed": removed},
                )
                return redirect(request.get_full_path())
            messages.error(request, _("This list of products changed: please try again."))
        except services.OrderError as error:
            messages.error(request, str(error))
        status = 400
    return render(
        request,
        "orders/manage/cycle_offers.html",
        {
            "hub": hub,
            "cycle": cycle,
            "step": 2,
            "filters": filters,
            "producer": producer,
            "variant_rows": rows,
            "terms_form": terms_form,
        },
        status=status,
    )


@login_required
@require_POST
def offers_update(request, hub_slug, pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    offers = cycle.offers.select_related("variant__product__producer").order_by(
        french("variant__product__producer__name"), french("variant__product__name"), "pk"
    )
    form = OfferTermsForm(request.POST, offers=offers)
    if form.is_valid():
        try:
            cycles.update_offers(cycle=cycle, terms=form.terms(), by=request.user)
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Prices and caps saved."))
            return redirect("cycles:offers", hub_slug=hub.slug, pk=cycle.pk)
    return render(
        request,
        "orders/manage/cycle_offers.html",
        {"hub": hub, "cycle": cycle, "step": 2, "terms_form": form},
        status=400,
    )


@login_required
@require_POST
def offer_remove(request, hub_slug, pk, offer_pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    offer = get_object_or_404(
        Offer.objects.filter(cycle=cycle).select_related("variant__product"), pk=offer_pk
    )
    done = _("“%(name)s” removed.") % {"name": offer.variant}
    with outcome_message(request, done, services.OrderError):
        cycles.remove_offer(offer=offer, by=request.user)
    return redirect("cycles:offers", hub_slug=hub.slug, pk=cycle.pk)


@login_required
def cycle_pickups(request, hub_slug, pk):
    """Step 3: the pickup points served, each with its date and slots."""
    hub, cycle = _cycle_of(request, hub_slug, pk)

    def save(served):
        specs = [
            cycles.PickupSpec(pickup_point_id=point, pickup_date=day, slots=slots)
            for point, day, slots in served
        ]
        cycles.set_pickups(cycle=cycle, pickups=specs, by=request.user)

    return edit_pickups(
        request,
        hub=hub,
        pickups=cycle.pickups.prefetch_related("slots"),
        form_class=CyclePickupForm,
        day_of=lambda pickup: pickup.pickup_date,
        save=save,
        saved_message=_("Pickup points and slots saved."),
        done_url=reverse("cycles:detail", args=[hub.slug, cycle.pk]),
        context={"cycle": cycle, "step": 3, "name": cycle.name},
    )


def _labelled(changes):
    """Each change with the label of the field it changed, in the reader's language."""
    changes = list(changes)
    labels = {"pickup_date": _("pickup date"), "status": _("status")}
    for change in changes:
        if change.field in labels:
            change.label = labels[change.field]
        else:
            try:
                change.label = OrderCycle._meta.get_field(change.field).verbose_name
            except FieldDoesNotExist:
                change.label = change.field
    return changes


@login_required
def cycle_detail(request, hub_slug, pk):
    """The cycle live: its orders with what is paid, counts per pickup point and slot, log."""
    hub, cycle = _cycle_of(request, hub_slug, pk)
    orders = list(cycles.cycle_orders(cycle))
    live = [order for order in orders if order.is_live]
    slots = list(cycles.slot_counts(cycle))
    points = {}
    for slot in slots:
        entry = points.setdefault(
            slot.cycle_pickup_id, {"pickup": slot.cycle_pickup, "slots": [], "live_orders": 0}
        )
        entry["slots"].append(slot)
        entry["live_orders"] += slot.live_orders
    now = timezone.now()
    return render(
        request,
        "orders/manage/cycle_detail.html",
        {
            "hub": hub,
            "cycle": cycle,
            "phase": cycle.phase(now),
            "opens_now": cycle.opens_at <= now,
            "orders": orders,
            "live_count": len(live),
            "live_total": sum((order.total for order in live), services.pricing.ZERO),
            "points": list(points.values()),
            "offer_count": cycle.offers.count(),
            "changes": _labelled(cycle.changes.select_related("changed_by")[:50]),
            "AT_PICKUP": Order.PaymentMethod.AT_PICKUP,
            "closing_emails": close_emails.closing_emails(cycle) if cycle.closed_at else None,
        },
    )


@login_required
@require_POST
def cycle_publish(request, hub_slug, pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    with outcome_message(request, _("The cycle is published."), services.OrderError):
        cycles.publish_cycle(cycle=cycle, by=request.user)
    return redirect("cycles:detail", hub_slug=hub.slug, pk=cycle.pk)


@login_required
def cycle_clone(request, hub_slug, pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    form = CloneForm(request.POST or None, initial={"weeks": 1, "name": cycle.name})
    if request.method == "POST" and form.is_valid():
        try:
            clone = cycles.clone_cycle(cycle=cycle, by=request.user, **form.cleaned_data)
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Copy created as a draft: check it, then publish it."))
            other = cycles.overlapping_cycles(
                hub, opens_at=clone.opens_at, closes_at=clone.closes_at
            ).first()
            if other is not None:
                messages.warning(request, cycles.overlap_message(other))
            return redirect("cycles:detail", hub_slug=hub.slug, pk=clone.pk)
    return render_form(
        request, "orders/manage/cycle_clone.html", {"hub": hub, "cycle": cycle, "form": form}
    )


@login_required
def cycle_close_now(request, hub_slug, pk):
    """GET: what closing now sets off, to confirm; POST: close now, if that is still what
    it sets off (else the page again, with the new figures)."""
    hub, cycle = _cycle_of(request, hub_slug, pk)
    status = 200
    if request.method == "POST":
        form = CloseNowForm(request.POST)
        if form.is_valid():
            try:
                cycles.close_now(cycle=cycle, by=request.user, expected=form.forecast())
            except cycles.StaleForecast as error:
                messages.warning(request, str(error))
                status = 409
            except services.OrderError as error:
                messages.error(request, str(error))
                return redirect("cycles:detail", hub_slug=hub.slug, pk=cycle.pk)
            else:
                messages.success(
                    request,
                    _("The cycle is closed: no more orders. Within a minute the background "
                      "worker makes the orders final and sends the e-mails."),
                )  # fmt: skip
                return redirect("cycles:detail", hub_slug=hub.slug, pk=cycle.pk)
        else:
            messages.error(request, _("This page was changed: check the figures again."))
            status = 400
    phase = cycle.phase()
    forecast = cycles.closing_forecast(cycle) if phase == OrderCycle.Phase.OPEN else None
    form = CloseNowForm(initial=CloseNowForm.initial_for(forecast)) if forecast else None
    return render(
        request,
        "orders/manage/cycle_close.html",
        {"hub": hub, "cycle": cycle, "phase": phase, "forecast": forecast, "form": form},
        status=status,
    )


@login_required
def cycle_cancel(request, hub_slug, pk):
    """GET: the confirmation page; POST: cancel the cycle and all its orders."""
    hub, cycle = _cycle_of(request, hub_slug, pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cycles.cancel_cycle(cycle=cycle, by=request.user, reason=form.cleaned_data["reason"])
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The cycle is cancelled; the households are told."))
            return redirect("cycles:detail", hub_slug=hub.slug, pk=cycle.pk)
    live = cycle.orders.live().count()
    return render_form(
        request,
        "orders/manage/cycle_cancel.html",
        {"hub": hub, "cycle": cycle, "phase": cycle.phase(), "form": form, "live_count": live},
    )


@login_required
def record_payment(request, hub_slug, pk, order_pk):
    hub, cycle = _cycle_of(request, hub_slug, pk)
    # Card payments are recorded by Stripe's webhook, not by hand.
    order = get_object_or_404(
        cycle.orders.filter(payment_method=Order.PaymentMethod.AT_PICKUP), pk=order_pk
    )
    paid = services.paid_amount(order)
    owed = counter.owed_today(order, paid=paid)
    form = PaymentForm(
        request.POST or None, initial={"method": "cash", "amount": owed.today or None}
    )
    if request.method == "POST" and form.is_valid():
        try:
            counter.record_payment(order=order, by=request.user, **form.cleaned_data)
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request, _("Payment recorded for order %(number)s.") % {"number": order.number}
            )
            return redirect("cycles:detail", hub_slug=hub.slug, pk=cycle.pk)
    return render_form(
        request,
        "orders/manage/record_payment.html",
        {"hub": hub, "cycle": cycle, "order": order, "form": form, "paid": paid, "owed": owed},
    )
