"""The hub managers' food allocation pages: programmes, households enrolled, the month
credited by hand, eligible products, and the funder's report (page and CSV)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import render_form
from orders.models import AllocationProgramme, AllocationPurse, EligibleProduct, Enrolment

from . import selectors, services
from .forms import EligibleForm, EnrolForm, ProgrammeForm


@login_required
def programmes(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                programme = services.create_programme(hub=hub, by=request.user, **form.cleaned_data)
            except services.AllocationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The programme is created: enrol its households."))
                return redirect("allocations:programme", hub_slug=hub.slug, pk=programme.pk)
        return render_form(request, "orders/allocations/programmes.html", _list(hub, form))
    return render(request, "orders/allocations/programmes.html", _list(hub, form))


def _list(hub, form) -> dict:
    return {
        "hub": hub,
        "form": form,
        "programmes": AllocationProgramme.objects.filter(hub=hub),
        "this_month": services.this_month(),
    }


@login_required
def programme(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    programme = get_object_or_404(AllocationProgramme.objects.filter(hub=hub), pk=pk)
    form = EnrolForm(request.POST or None, hub=hub)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.enrol(
                    programme=programme, customer=form.cleaned_data["customer"], by=request.user
                )
            except services.AllocationError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The household is enrolled."))
                return redirect("allocations:programme", hub_slug=hub.slug, pk=programme.pk)
        return render_form(request, "orders/allocations/programme.html", _detail(programme, form))
    return render(request, "orders/allocations/programme.html", _detail(programme, form))


def _detail(programme, form) -> dict:
    enrolments = programme.enrolments.select_related("customer", "enrolled_by", "withdrawn_by")
    purses = {
        purse.customer_id: purse
        for purse in AllocationPurse.objects.filter(programme=programme).only(
            "customer_id", "number", "left"
        )
    }
    month = services.this_month()
    return {
        "hub": programme.hub,
        "programme": programme,
        "form": form,
        "enrolments": [(enrolment, purses.get(enrolment.customer_id)) for enrolment in enrolments],
        "this_month": month,
        "runs_now": programme.runs_in(month),
    }


@login_required
@require_POST
def withdraw(request, hub_slug, pk, enrolment_pk):
    hub = get_managed_hub(request.user, hub_slug)
    enrolment = get_object_or_404(
        Enrolment.objects.filter(programme__hub=hub, programme_id=pk), pk=enrolment_pk
    )
    services.withdraw(enrolment=enrolment, by=request.user)
    messages.success(request, _("The household is withdrawn from the programme."))
    return redirect("allocations:programme", hub_slug=hub.slug, pk=pk)


@login_required
@require_POST
def credit(request, hub_slug, pk):
    """Credit this month now (the worker does it every hour; the same key: once)."""
    hub = get_managed_hub(request.user, hub_slug)
    programme = get_object_or_404(AllocationProgramme.objects.filter(hub=hub), pk=pk)
    try:
        written = services.credit_month(programme=programme, by=request.user)
    except services.AllocationError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s household credited now (the others already were this month).",
                "%(count)s households credited now (the others already were this month).",
                len(written),
            )
            % {"count": len(written)},
        )
    return redirect("allocations:programme", hub_slug=hub.slug, pk=programme.pk)


@login_required
def eligible(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    marked = EligibleProduct.objects.filter(hub=hub).values_list("product_id", flat=True)
    form = EligibleForm(request.POST or None, hub=hub, initial={"products": list(marked)})
    if request.method == "POST":
        if form.is_valid():
            services.set_eligible_products(
                hub=hub, products=form.cleaned_data["products"], by=request.user
            )
            messages.success(request, _("The eligible products are saved."))
            return redirect("allocations:eligible", hub_slug=hub.slug)
        return render_form(request, "orders/allocations/eligible.html", {"hub": hub, "form": form})
    return render(request, "orders/allocations/eligible.html", {"hub": hub, "form": form})


@login_required
def report(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    programme = get_object_or_404(AllocationProgramme.objects.filter(hub=hub), pk=pk)
    return render(
        request,
        "orders/allocations/report.html",
        {"hub": hub, "programme": programme, "report": selectors.report(programme)},
    )


@login_required
def report_csv(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    programme = get_object_or_404(AllocationProgramme.objects.filter(hub=hub), pk=pk)
    header = [_("Month"), _("Household"), _("Credited (€)"), _("Spent (€)")]
    rows = (
        [row.month.isoformat()[:7], row.household, row.credited, row.spent]
        for row in selectors.report(programme).households
    )
    return spreadsheets.csv_response(
        spreadsheets.csv_bytes(header, rows), f"food-aid-{hub.slug}-{programme.pk}.csv"
    )
