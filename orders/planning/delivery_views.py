from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import render_form
from orders.models import OrderCycle

from . import deliveries
from .cycle_forms import DeliveryForm
from .cycles import CycleError


@login_required
def cycle_delivery(request, hub_slug, pk):
    """Where and when the cycle's producers deliver. The hub's managers only."""
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub).select_related("hub"), pk=pk)
    initial = {"place": cycle.delivery_place, "at": cycle.delivery_at}
    form = DeliveryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            deliveries.set_delivery(
                cycle=cycle, place=form.cleaned_data["place"], at=form.cleaned_data["at"]
            )
        except CycleError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Where and when producers deliver is saved."))
            return redirect(cycle.get_absolute_url())
    return render_form(
        request, "orders/manage/cycle_delivery.html", {"hub": hub, "cycle": cycle, "form": form}
    )
