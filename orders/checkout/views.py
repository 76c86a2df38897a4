"""A household's orders: the list, one order (by account or by secret link), change, cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from orders import ledger
from orders.models import Order
from orders.money import payments

from . import basket as baskets
from . import ownership, services
from .selectors import order_for_page, orders_of


@login_required
def my_orders(request):
    return render(request, "orders/my_orders.html", {"orders": orders_of(request.user)})


def _order_or_404(**lookup) -> Order:
    try:
        return order_for_page(**lookup)
    except Order.DoesNotExist:
        raise Http404 from None


def _render_order(request, order: Order):
    amounts = services.amounts_of(order)
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "hub": order.cycle.hub,
            "amounts": amounts,
            "rows": services.rows_of(order, amounts),
            "paid": services.paid_amount(order),
            "credit": ledger.credit_used(order),
            "card_due": (
                payments.amount_due(order)
                if order.is_live and order.payment_method == Order.PaymentMethod.CARD
                else 0
            ),
            "can_change": order.can_change(),
        },
    )


@login_required
def order_detail(request, number):
    """An order of the logged-in household (someone else's is 404)."""
    return _render_order(request, _order_or_404(number=number, user=request.user))


def order_by_token(request, token):
    """The order behind the secret link of the confirmation e-mail (guests too).

    The link was sent to the household's address: whoever follows it has proved the
    order is theirs, and this browser is remembered as such."""
    order = _order_or_404(access_token=token)
    ownership.remember(request, order)
    return _render_order(request, order)


def order_change(request, token):
    """Load the order into the basket and go to the shop, where it is changed."""
    order = _order_or_404(access_token=token)
    if request.method != "POST":
        return redirect(order.get_secret_url())
    if not order.can_change():
        messages.error(request, _("This order can no longer be changed: the cycle is closed."))
        return redirect(order.get_secret_url())
    if request.user.is_authenticated and order.email != request.user.email.lower():
        messages.error(
            request,
            _("This order was placed with another e-mail address: log out to change it."),
        )
        return redirect(order.get_secret_url())
    basket = baskets.get_basket(request, order.cycle, create=True)
    baskets.start_editing(basket=basket, order=order)
    messages.info(
        request,
        _("Change the quantities or add products, then confirm the changes in your basket."),
    )
    return redirect("hub_public", hub_slug=order.cycle.hub.slug)


def order_cancel(request, token):
    order = _order_or_404(access_token=token)
    if not order.can_change():
        messages.error(request, _("This order can no longer be cancelled: the cycle is closed."))
        return redirect(order.get_secret_url())
    if request.method == "POST":
        try:
            services.cancel_order(
                order=order,
                by=request.user if request.user.is_authenticated else None,
                reason=_("cancelled by the household"),
            )
        except services.OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Your order %(number)s is cancelled.") % {"number": order})
        return redirect(order.get_secret_url())
    return render(request, "orders/order_cancel.html", {"order": order})
