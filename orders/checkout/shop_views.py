"""The hub's shop: browse the open cycle, fill the basket (htmx), check out."""

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.collation import french
from foodhub.hubs.models import Hub
from foodhub.inputs import redirect_next
from foodhub.shortcuts import render_form
from orders import ledger
from orders.models import Order, OrderCycle
from orders.solidarity import services as solidarity
from producers.models import Producer

from . import acting, ownership, services
from . import basket as baskets
from .forms import CheckoutForm, ShopFilterForm
from .selectors import available_credit, current_cycle, live_order_of, shop_filters, shop_offers

OFFERS_PER_PAGE = 48


def _hub(hub_slug) -> Hub:
    return get_object_or_404(Hub, slug=hub_slug)


def _open_cycle(hub) -> OrderCycle | None:
    cycle = current_cycle(hub)
    return cycle if cycle and cycle.is_open() else None


def _basket_context(request, cycle, basket=None):
    """The basket summary shown on every shop page (and swapped in by htmx)."""
    items = baskets.items_of(basket)
    amounts = baskets.amounts_of(cycle, items)
    return {
        "basket": basket,
        "basket_items": items,
        "in_basket": {item.offer_id: item.quantity for item in items},
        "basket_amounts": amounts,
        "basket_rows": baskets.rows_of(items, amounts),
        "basket_count": sum(item.quantity for item in items),
        "ordering_for": acting.household(request, cycle.hub),
    }


def _ensure_editing_live_order(request, cycle, basket):
    """A household with an order in this cycle changes it through its basket (and so does
    whoever orders for it)."""
    customer = acting.household(request, cycle.hub)
    if customer is not None:
        order = Order.objects.live().filter(cycle=cycle, customer=customer).first()
    else:
        order = live_order_of(cycle, request.user)
    if order is not None and (basket is None or basket.order_id != order.pk):
        basket = basket or baskets.get_basket(request, cycle, create=True)
        baskets.start_editing(basket=basket, order=order)
    return basket


def shop(request, hub_slug):
    """``/<hub-slug>/``: the hub, and the shop of its open cycle (or when the next opens)."""
    hub = _hub(hub_slug)
    cycle = current_cycle(hub)
    if cycle is None or not cycle.is_open():
        hub = Hub.objects.prefetch_related(
            Prefetch("producers", queryset=Producer.objects.order_by(french("name"))),
            "pickup_points",
        ).get(pk=hub.pk)
        return render(request, "orders/shop_closed.html", {"hub": hub, "next_cycle": cycle})

    filters_data = shop_filters(cycle)
    filters = ShopFilterForm(request.GET or None, **filters_data)
    criteria = filters.cleaned_data if filters.is_valid() else {}
    group_by = criteria.get("group") or "producer"
    offers = shop_offers(
        cycle,
        search=criteria.get("q", ""),
        category=criteria.get("category", ""),
        producer=criteria.get("producer", ""),
        group_by=group_by,
    )
    page = Paginator(offers, OFFERS_PER_PAGE).get_page(request.GET.get("page"))
    basket = _ensure_editing_live_order(request, cycle, baskets.get_basket(request, cycle))
    basket_context = _basket_context(request, cycle, basket)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "orders/shop.html",
        {
            "hub": hub,
            "cycle": cycle,
            "filters": filters,
            "page": page,
            "group_by": group_by,
            "query": query.urlencode(),
            **basket_context,
        },
    )


@require_POST
def basket_set(request, hub_slug, offer_id):
    """Set the quantity of an offer in the basket; htmx swaps the row and the summary."""
    hub = _hub(hub_slug)
    cycle = _open_cycle(hub)
    if cycle is None:
        messages.error(request, _("The shop is closed: orders can no longer be changed."))
        return _back_to_shop(request, hub)
    basket = _ensure_editing_live_order(
        request, cycle, baskets.get_basket(request, cycle, create=True)
    )
    error = ""
    try:
        baskets.set_quantity(
            basket=basket, offer_id=offer_id, quantity=request.POST.get("quantity", "")
        )
    except services.OrderError as exc:
        error = str(exc)
    if request.htmx:
        offer = shop_offers(cycle).filter(pk=offer_id).first()
        context = {
            "hub": hub,
            "cycle": cycle,
            "offer": offer,
            "offer_id": offer_id,
            "row_error": error,
            "oob": True,
            **_basket_context(request, cycle, basket),
        }
        # The row again with its message (or the reason in its place if the offer is
        # gone), the summary out of band.
        return render(request, "orders/_basket_set.html", context)
    if error:
        messages.error(request, error)
    return _back_to_shop(request, hub)


def _back_to_shop(request, hub):
    return redirect_next(request, "hub_public", hub_slug=hub.slug)


def basket_page(request, hub_slug):
    hub = _hub(hub_slug)
    cycle = _open_cycle(hub)
    if cycle is None:
        return redirect("hub_public", hub_slug=hub.slug)
    basket = _ensure_editing_live_order(request, cycle, baskets.get_basket(request, cycle))
    return render(
        request,
        "orders/basket.html",
        {"hub": hub, "cycle": cycle, **_basket_context(request, cycle, basket)},
    )


def checkout(request, hub_slug):
    """Details, pickup slot and payment, then a review page, then place (or save changes).

    The review step re-validates everything it is sent; prices always come from the
    server. A second submission of the same order finds the first and shows it.
    """
    hub = _hub(hub_slug)
    cycle = _open_cycle(hub)
    if cycle is None:
        messages.error(request, _("The shop is closed: orders can no longer be changed."))
        return redirect("hub_public", hub_slug=hub.slug)
    basket = _ensure_editing_live_order(request, cycle, baskets.get_basket(request, cycle))
    context = {"hub": hub, "cycle": cycle, **_basket_context(request, cycle, basket)}
    order = basket.order if basket and basket.order_id else None
    if not context["basket_items"]:
        if order is not None:
            messages.info(request, _("To remove everything, cancel the order instead."))
            return redirect(order.get_secret_url())
        if placed := ownership.proved_order_in(request, cycle):
            # The second click of a double click: the first one placed the order.
            return redirect(placed.get_secret_url())
        messages.info(request, _("Your basket is empty."))
        return redirect("hub_public", hub_slug=hub.slug)

    customer = context["ordering_for"]
    form = CheckoutForm(
        request.POST if request.method == "POST" else None,
        cycle=cycle,
        user=request.user,
        order=order,
        for_household=customer,
    )
    context.update(form=form, order=order)
    if request.method != "POST" or not form.is_valid():
        return render_form(request, "orders/checkout.html", context)
    data = form.cleaned_data
    context["slot_label"] = dict(form.fields["slot"].choices)[data["slot"]]
    if form.percent != 100:  # the basket at the household's solidarity price
        amounts = baskets.amounts_of(cycle, context["basket_items"], form.percent)
        context["basket_amounts"] = amounts
        context["basket_rows"] = baskets.rows_of(context["basket_items"], amounts)
    if "confirm" not in request.POST:
        if customer is not None:
            credit = max(customer.balance, Decimal(0)) + (ledger.credit_used(order) if order else 0)
        else:
            credit = available_credit(request.user, hub, order)
        context["credit"] = min(credit, context["basket_amounts"].total)
        context["left_to_pay"] = context["basket_amounts"].total - context["credit"]
        return render(request, "orders/review.html", context)

    items = baskets.quantities_of(basket)
    try:
        if order is not None:
            order = services.update_order(
                order=order,
                items=items,
                slot=data["slot"],
                note=data["note"],
                by=request.user if request.user.is_authenticated else None,
                price_tier=data.get("price_tier"),
            )
            messages.success(request, _("Your order %(number)s is changed.") % {"number": order})
        elif customer is not None:
            order = services.place_order(
                cycle=cycle,
                items=items,
                email="",
                full_name="",
                slot=data["slot"],
                note=data["note"],
                customer=customer,
                placed_by=request.user,
                price_tier=data.get("price_tier"),
            )
            messages.success(
                request,
                _("The order %(number)s of %(name)s is placed.")
                % {"number": order, "name": customer.full_name},
            )
        else:
            user = request.user if request.user.is_authenticated else None
            with transaction.atomic():
                order = services.place_order(
                    cycle=cycle,
                    items=items,
                    email=user.email if user else data["email"],
                    full_name=data["full_name"],
                    phone=data["phone"],
                    slot=data["slot"],
                    payment_method=data["payment_method"],
                    note=data["note"],
                    user=user,
                    price_tier=data.get("price_tier"),
                )
                # Written with the order: a second click already running finds it.
                ownership.remember(request, order, save_now=True)
            messages.success(
                request, _("Thank you! Your order %(number)s is placed.") % {"number": order}
            )
    except services.AlreadyOrdered as exc:
        if customer is not None:
            messages.info(
                request,
                _("%(name)s already has an order in this cycle (%(number)s): change it instead.")
                % {"name": customer.full_name, "number": exc.order.number},
            )
            return redirect("relays:order", number=exc.order.number)
        if ownership.has_proved(request, exc.order):
            messages.info(
                request,
                _("You already have an order in this cycle (%(number)s): change it instead.")
                % {"number": exc.order.number},
            )
            return redirect(exc.order.get_secret_url())
        # Typing an address proves nothing: the link goes to the address, the basket stays.
        services.send_order_link(order=exc.order)
        return render(request, "orders/already_ordered.html", context, status=409)
    except services.OrderError as exc:
        if isinstance(exc, solidarity.TierClosed):
            # Refused past the cap: closed for the rest of the cycle (the order's own
            # transaction, which would have said so, was undone with this view's).
            solidarity.close_lower_tier(cycle)
        context["order_error"] = str(exc)
        context["shortages"] = getattr(exc, "shortages", [])
        return render(request, "orders/review.html", context, status=409)
    baskets.empty(basket)
    if customer is not None:
        acting.stop(request, hub)
        return redirect("relays:order", number=order.number)
    if order.status == order.Status.AWAITING_PAYMENT:
        return redirect(reverse("payments:pay", kwargs={"token": order.access_token}))
    return redirect(order.get_secret_url())
