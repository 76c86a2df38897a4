"""The weighing page: after the close, the hub's managers (every line) or a producer's
members (their own lines) type the real weight of each line sold by weight. One field a
line, grouped by product then household; each weight is saved as it is typed (htmx, the
row comes back), or by the row's button without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.hubs.selectors import get_managed_hub
from orders.models import OrderCycle
from producers.selectors import get_producer_for

from . import selectors, weighing
from .forms import WeightForm


@login_required
def hub_weighing(request, hub_slug, cycle_pk):
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub), pk=cycle_pk)
    return _page(request, cycle, None, reverse("weighing:hub", args=[hub.slug, cycle.pk]))


@login_required
@require_POST
def hub_weigh_line(request, hub_slug, cycle_pk, line_pk):
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub), pk=cycle_pk)
    return _weigh(request, cycle, None, line_pk, reverse("weighing:hub", args=[hub.slug, cycle.pk]))


@login_required
def producer_weighing(request, producer_slug, cycle_pk):
    producer = get_producer_for(request.user, producer_slug)
    cycle = _producer_cycle(producer, cycle_pk)
    url = reverse("weighing:producer", args=[producer.slug, cycle.pk])
    return _page(request, cycle, producer, url)


@login_required
@require_POST
def producer_weigh_line(request, producer_slug, cycle_pk, line_pk):
    producer = get_producer_for(request.user, producer_slug)
    cycle = _producer_cycle(producer, cycle_pk)
    url = reverse("weighing:producer", args=[producer.slug, cycle.pk])
    return _weigh(request, cycle, producer, line_pk, url)


def _producer_cycle(producer, cycle_pk) -> OrderCycle:
    """A cycle in which ``producer`` has lines sold by weight (404 otherwise)."""
    cycles = OrderCycle.objects.filter(
        orders__lines__producer=producer, orders__lines__price_per_kg__isnull=False
    ).distinct()
    return get_object_or_404(cycles.select_related("hub"), pk=cycle_pk)


def _page(request, cycle, producer, page_url, *, row=None, status=200):
    """The page; ``row`` is the state of the row just posted without JavaScript (its
    error, or the confirmation it asks for)."""
    lines = selectors.lines_to_weigh(cycle, producer)
    return render(
        request,
        "orders/billing/weighing.html",
        {
            "cycle": cycle,
            "hub": cycle.hub,
            "producer": producer,
            "lines": lines,
            "counts": selectors.weighing_counts(lines),
            "closed": cycle.phase() == OrderCycle.Phase.CLOSED,
            "page_url": page_url,
            "show_names": _shows_names(cycle, producer),
            "row": row or {},
        },
        status=status,
    )


def _weigh(request, cycle, producer, line_pk, page_url):
    lines = selectors.lines_to_weigh(cycle, producer)
    line = get_object_or_404(lines, pk=line_pk)
    form = WeightForm(request.POST)
    row = {"pk": line.pk, "typed": request.POST.get("weight", "")[:20]}
    if not form.is_valid():
        row["error"] = " ".join(form.errors.get("weight", [_("Enter a weight in kg.")]))
    else:
        try:
            result = weighing.record_weight(
                line=line,
                weight=form.cleaned_data["weight"],
                by=request.user,
                confirmed=form.cleaned_data["confirm"],
            )
        except weighing.WeighingError as refusal:
            row["error"] = str(refusal)
        else:
            line = result.line
            if result.needs_confirmation:
                row["confirmation"] = _confirmation_text(line, form.cleaned_data["weight"])
    status = 422 if "error" in row else 200
    if not request.htmx:
        if "error" in row or "confirmation" in row:
            return _page(request, cycle, producer, page_url, row=row, status=status)
        messages.success(request, _("Weight saved."))
        return redirect(f"{page_url}#line-{line.pk}")
    context = {"line": line, "row": row, "page_url": page_url, "oob": True}
    context["show_names"] = _shows_names(cycle, producer)
    context["counts"] = selectors.weighing_counts(lines)
    return render(request, "orders/billing/_weighing_row.html", context, status=status)


def _shows_names(cycle, producer) -> bool:
    """A producer sees the households' names only if the hub says so (as on pick lists)."""
    return producer is None or cycle.hub.producers_see_names


def _confirmation_text(line, weight) -> str:
    return _(
        "%(weight)s kg is far from the estimate of %(estimate)s kg: check it, then confirm."
    ) % {
        "weight": number_format(weight, 3),
        "estimate": number_format(line.final_estimated_weight, 3),
    }
