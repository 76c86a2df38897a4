"""The shortages and corrections pages of a closed cycle, for its hub's managers only
(another hub's manager, a producer or a volunteer gets a 404; a visitor, the log-in page).

- the cycle's page: each product ordered, how many ordered and delivered, the shortages
  applied;
- a product's page: "delivered ... of ...", how it is shared (by hand: a field per
  household), and each household's line with its correction link;
- a shortage's page: what each household would get, and the button that applies it;
- a line's correction: the quantity delivered and why.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from foodhub.collation import french
from foodhub.hubs.selectors import get_managed_hub
from orders.models import Offer, Order, OrderCycle, OrderLine, Shortage

from . import corrections, shortages
from .shortage_forms import ConfirmShortageForm, LineCorrectionForm, ShortageForm
from .shortages import ShortageError


def _cycle(request, hub_slug, cycle_pk) -> OrderCycle:
    hub = get_managed_hub(request.user, hub_slug)
    return get_object_or_404(OrderCycle.objects.filter(hub=hub).select_related("hub"), pk=cycle_pk)


def _offers(cycle):
    """The cycle's offers somebody ordered, with units ordered and delivered."""
    live = ~Q(lines__order__status=Order.Status.CANCELLED)
    return (
        cycle.offers.select_related("variant__product__producer")
        .annotate(
            households=Count("lines", filter=live),
            ordered=Sum("lines__quantity", filter=live),
            delivered=Sum(Coalesce("lines__delivered_quantity", "lines__quantity"), filter=live),
        )
        .filter(households__gt=0)
        .order_by(french("variant__product__name"), french("variant__name"), "pk")
    )


@login_required
def cycle_shortages(request, hub_slug, cycle_pk):
    cycle = _cycle(request, hub_slug, cycle_pk)
    return render(
        request,
        "orders/billing/shortages.html",
        {
            "hub": cycle.hub,
            "cycle": cycle,
            "offers": _offers(cycle),
            "applied": shortages.shortages_of(cycle),
            "problem": _problem(cycle),
        },
    )


def _problem(cycle) -> str:
    """Why nothing can be recorded now, or ""."""
    try:
        shortages.check_closed(cycle)
    except ShortageError as refusal:
        return str(refusal)
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def offer_shortage(request, hub_slug, cycle_pk, offer_pk):
    cycle = _cycle(request, hub_slug, cycle_pk)
    offer = get_object_or_404(
        Offer.objects.filter(cycle=cycle).select_related("variant__product__producer"),
        pk=offer_pk,
    )
    lines = sorted(
        shortages.offer_lines(cycle, offer),
        key=lambda line: (line.order.placed_at, line.order_id),
    )
    form = ShortageForm(request.POST if request.method == "POST" else None, lines=lines)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shortage = shortages.record_shortage(
                    cycle=cycle, offer=offer, delivered=form.cleaned_data["delivered"],
                    strategy=form.cleaned_data["strategy"], quantities=form.quantities(),
                    by=request.user,
                )  # fmt: skip
            except ShortageError as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect(
                    "shortages:preview", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk,
                    shortage_pk=shortage.pk,
                )  # fmt: skip
        status = 422
    return render(
        request,
        "orders/billing/shortage_offer.html",
        {
            "hub": cycle.hub,
            "cycle": cycle,
            "offer": offer,
            "lines": lines,
            "ordered": sum(line.quantity for line in lines),
            "delivered": sum(line.final_quantity for line in lines),
            "form": form,
            "problem": _problem(cycle),
            "applied": shortages.shortages_of(cycle).filter(offer=offer).first(),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shortage_preview(request, hub_slug, cycle_pk, shortage_pk):
    cycle = _cycle(request, hub_slug, cycle_pk)
    shortage = get_object_or_404(
        Shortage.objects.filter(cycle=cycle).select_related(
            "offer__variant__product__producer", "by"
        ),
        pk=shortage_pk,
    )
    shortage.cycle = cycle
    form = ConfirmShortageForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                applied = shortages.apply_shortage(
                    shortage=shortage, by=request.user,
                    fingerprint=form.cleaned_data["fingerprint"],
                )  # fmt: skip
            except ShortageError as refusal:
                form.add_error(None, str(refusal))
            else:
                if applied.already:
                    messages.info(request, _("This shortage was already applied."))
                else:
                    households = len(applied.plan.households)
                    messages.success(
                        request,
                        ngettext(
                            "Shortage applied: %(count)s household told by e-mail.",
                            "Shortage applied: %(count)s households told by e-mail.",
                            households,
                        )
                        % {"count": households},
                    )
                return redirect("shortages:cycle", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk)
        status = 422
    plan, problem = None, _problem(cycle)
    if shortage.applied_at is None and not problem:
        try:
            plan = shortages.plan_of(shortage)
        except ShortageError as refusal:
            problem = str(refusal)
    return render(
        request,
        "orders/billing/shortage_preview.html",
        {
            "hub": cycle.hub,
            "cycle": cycle,
            "shortage": shortage,
            "plan": plan,
            "earlier": shortages.earlier_shortage(shortage) if plan else None,
            "form": form,
            "problem": problem,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def line_correction(request, hub_slug, cycle_pk, line_pk):
    cycle = _cycle(request, hub_slug, cycle_pk)
    line = get_object_or_404(
        OrderLine.objects.filter(order__cycle=cycle).select_related("order"), pk=line_pk
    )
    form = LineCorrectionForm(request.POST if request.method == "POST" else None, line=line)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = corrections.correct_line(
                    line=line, delivered=form.cleaned_data["delivered"],
                    reason=form.cleaned_data["reason"], by=request.user,
                )  # fmt: skip
            except ShortageError as refusal:
                form.add_error(None, str(refusal))
            else:
                if done.change is None:
                    messages.info(request, _("Nothing changed: the line already delivers that."))
                else:
                    messages.success(request, _("Line corrected: the household is told by e-mail."))
                return redirect(
                    "shortages:offer", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk,
                    offer_pk=line.offer_id,
                )  # fmt: skip
        status = 422
    return render(
        request,
        "orders/billing/shortage_correction.html",
        {"hub": cycle.hub, "cycle": cycle, "line": line, "form": form, "problem": _problem(cycle)},
        status=status,
    )
