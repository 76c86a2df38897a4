"""The pages of people who order for others: the households they help, a new household,
ordering for one (through the hub's shop), its orders, the slip to hand over.

Every page checks the right again: a relay sees the households it helps and their orders,
nothing else of the hub; anything else is 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.hubs.models import Hub
from foodhub.inputs import parse_id
from foodhub.shortcuts import render_form
from orders import ledger
from orders.checkout import acting, services
from orders.checkout import basket as baskets
from orders.models import Customer, Order, OrderingRight
from orders.sms.services import set_sms_choices

from . import selectors
from .forms import GrantForm, HouseholdSmsForm, NewHouseholdForm
from .services import RelayError, create_household, grant, withdraw


@login_required
def helped(request):
    """``/help/``: the households I order for, by hub, and the hubs where I can add one."""
    households = (
        selectors.helped_households(request.user)
        .select_related("hub")
        .order_by("hub__name", "full_name", "pk")
    )
    return render(
        request,
        "orders/relays/helped.html",
        {"households": households, "relay_hubs": selectors.relay_hubs(request.user)},
    )


@login_required
def new_household(request, hub_slug):
    hub = selectors.get_relay_hub(request.user, hub_slug)
    form = NewHouseholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sms = {kind: data.pop(f"sms_{kind}") for kind in ("confirmation", "reminder", "shop_open")}
        try:
            with transaction.atomic():
                customer = create_household(hub=hub, by=request.user, **data)
                set_sms_choices(customer, **sms, by=request.user)
        except RelayError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error("phone", error)
        else:
            messages.success(
                request,
                _("%(name)s is added. You can now order for this household.")
                % {"name": customer.full_name},
            )
            return redirect("relays:household", pk=customer.pk)
    return render_form(request, "orders/relays/new_household.html", {"hub": hub, "form": form})


def _household(request, pk):
    customer = (
        selectors.helped_households(request.user).select_related("hub").filter(pk=_id(pk)).first()
    )
    if customer is None:
        raise Http404
    return customer


def _id(value) -> int:
    pk = parse_id(value)
    if pk is None:
        raise Http404
    return pk


@login_required
def household(request, pk):
    customer = _household(request, pk)
    hub = customer.hub
    orders = selectors.orders_of_helped(customer)
    return render(
        request,
        "orders/relays/household.html",
        {
            "customer": customer,
            "hub": hub,
            "orders": orders,
            "right": selectors.right_for(request.user, customer),
            "sms_form": HouseholdSmsForm.for_customer(customer),
        },
    )


@login_required
@require_POST
def household_sms(request, pk):
    """The SMS the household gets, chosen by the relay for it."""
    customer = _household(request, pk)
    form = HouseholdSmsForm(request.POST)
    if not form.is_valid():
        raise Http404  # check boxes: nothing a browser sends is invalid
    try:
        set_sms_choices(customer, **form.cleaned_data, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The household's SMS choices are saved."))
    return redirect("relays:household", pk=customer.pk)


@login_required
@require_POST
def start_ordering(request, pk):
    """Order for this household in its hub's shop (its live order, if any, is changed)."""
    customer = _household(request, pk)  # the right checked with it
    acting.start(request, customer)
    return redirect("hub_public", hub_slug=customer.hub.slug)


@require_POST
def stop_ordering(request, hub_slug):
    hub = get_object_or_404(Hub, slug=hub_slug)
    acting.stop(request, hub)
    messages.info(request, _("You are ordering for yourself again."))
    return redirect("relays:helped") if request.user.is_authenticated else redirect("home")


def _order(request, number) -> Order:
    if not request.user.is_authenticated:
        raise Http404
    order = (
        Order.objects.select_related(
            "cycle__hub", "cycle_pickup__pickup_point", "slot", "customer", "placed_by"
        )
        .filter(number=str(number)[:30])
        .first()
    )
    if order is None or not selectors.may_act_on_order(request.user, order):
        raise Http404
    return order


@login_required
def order(request, number):
    order = _order(request, number)
    amounts = services.amounts_of(order)
    return render(
        request,
        "orders/relays/order.html",
        {
            "order": order,
            "hub": order.cycle.hub,
            "amounts": amounts,
            "rows": services.rows_of(order, amounts),
            "paid": services.paid_amount(order),
            "credit": ledger.credit_used(order),
            "events": order.events.select_related("by"),
            "can_change": order.can_change(),
        },
    )


@login_required
@require_POST
def order_change(request, number):
    order = _order(request, number)
    if not order.can_change():
        messages.error(request, _("This order can no longer be changed: the cycle is closed."))
        return redirect("relays:order", number=order.number)
    acting.start(request, order.customer)
    basket = baskets.get_basket(request, order.cycle, create=True)
    baskets.start_editing(basket=basket, order=order)
    messages.info(
        request,
        _("Change the quantities or add products, then confirm the changes in the basket."),
    )
    return redirect("hub_public", hub_slug=order.cycle.hub.slug)


@login_required
def order_cancel(request, number):
    order = _order(request, number)
    if not order.can_change():
        messages.error(request, _("This order can no longer be cancelled: the cycle is closed."))
        return redirect("relays:order", number=order.number)
    if request.method == "POST":
        try:
            services.cancel_order(
                order=order,
                by=request.user,
                reason=_("cancelled by %(name)s for the household")
                % {"name": request.user.full_name or request.user.email},
            )
        except services.OrderError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The order %(number)s is cancelled.") % {"number": order})
        return redirect("relays:order", number=order.number)
    return render(request, "orders/relays/order_cancel.html", {"order": order})


@login_required
def slip(request, number):
    """The slip to hand over or read out: the order, its amount, where and when, in large
    print (printed from the browser)."""
    order = _order(request, number)
    return render(
        request,
        "orders/relays/slip.html",
        {
            "order": order,
            "lines": order.lines.order_by("product_name", "pk"),
            "credit": ledger.credit_used(order),
        },
    )


# The household's side: who may order for it.


@login_required
def who_orders_for_me(request):
    """Name a person who may order for my household (at one of my hubs), see who may,
    withdraw it; and the households that named me, to give that up."""
    customers = list(Customer.objects.filter(user=request.user).select_related("hub"))
    form = GrantForm(request.POST or None, customers=customers)
    if request.method == "POST" and form.is_valid():
        customer = next(c for c in customers if c.pk == form.cleaned_data["customer"])
        try:
            right = grant(customer=customer, by=request.user, email=form.cleaned_data["email"])
        except RelayError as error:
            form.add_error("email", str(error))
        else:
            messages.success(
                request,
                _("%(name)s can now order for you at %(hub)s.")
                % {"name": right.user.full_name or right.user.email, "hub": customer.hub.name},
            )
            return redirect("orders:who_orders_for_me")
    rights = (
        OrderingRight.objects.filter(customer__user=request.user)
        .select_related("user", "customer__hub")
        .order_by("withdrawn_at", "-created_at")
    )
    return render_form(
        request,
        "orders/relays/who_orders_for_me.html",
        {
            "form": form if customers else None,
            "rights": rights,
            "mine": selectors.live_rights(request.user).select_related("customer__hub"),
        },
    )


@login_required
@require_POST
def withdraw_right(request, pk):
    right = (
        OrderingRight.objects.filter(pk=_id(pk), withdrawn_at__isnull=True)
        .filter(Q(customer__user=request.user) | Q(user=request.user))
        .select_related("customer__hub", "user")
        .first()
    )
    if right is None:
        raise Http404
    withdraw(right=right, by=request.user)
    if right.user_id == request.user.pk:
        messages.success(
            request,
            _("You no longer order for %(name)s.") % {"name": right.customer.full_name},
        )
    else:
        messages.success(
            request,
            _("%(name)s can no longer order for you.")
            % {"name": right.user.full_name or right.user.email},
        )
    return redirect("orders:who_orders_for_me")
