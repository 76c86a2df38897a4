"""The hub managers' solidarity page (the settings and the fund), and a household's choice
of price in its account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from foodhub.hubs.models import Hub
from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import render_form
from orders.models import Customer, SolidaritySettings

from . import selectors, services
from .forms import SolidaritySettingsForm, TierForm


@login_required
def manage(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    settings = SolidaritySettings.objects.filter(hub=hub).first() or SolidaritySettings(hub=hub)
    form = SolidaritySettingsForm(request.POST or None, instance=settings)
    if request.method == "POST" and form.is_valid():
        services.save_settings(form.save(commit=False))
        messages.success(request, _("The solidarity prices are saved."))
        return redirect("solidarity:manage", hub_slug=hub.slug)
    cycles = selectors.fund_by_cycle(hub)
    return render_form(
        request,
        "orders/solidarity/manage.html",
        {
            "hub": hub,
            "form": form,
            "cycles": cycles,
            "balance": cycles[0].balance_after if cycles else selectors.ZERO,
        },
    )


@login_required
def my_price(request, hub_slug):
    """A household's price with a hub: its default at the next checkout."""
    hub = get_object_or_404(Hub, slug=hub_slug)
    settings = services.settings_of(hub)
    if settings is None:
        raise Http404
    customer = Customer.objects.filter(hub=hub, user=request.user).first()
    form = TierForm(
        request.POST or None,
        settings=settings,
        initial={"price_tier": customer.price_tier} if customer and customer.price_tier else None,
    )
    if request.method == "POST" and form.is_valid():
        if customer is None:
            messages.error(request, _("Place a first order with this hub, then choose here."))
        else:
            services.remember_tier(customer, form.cleaned_data["price_tier"])
            messages.success(request, _("Your price is saved. It is used at your next order."))
        return redirect("solidarity:my_price", hub_slug=hub.slug)
    return render_form(request, "orders/solidarity/my_price.html", {"hub": hub, "form": form})
