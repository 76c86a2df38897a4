"""A household's balance with a hub: its entries, and its credit topped up by card."""

import logging
import uuid

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from foodhub.hubs.models import Hub
from orders.models import Customer, Order
from orders.money import stripe_api

from . import top_ups
from .forms import TopUpForm

logger = logging.getLogger(__name__)

PER_PAGE = 50


@login_required
def my_balance(request, hub_slug):
    """The logged-in household's balance with a hub (404 when it never ordered there)."""
    hub = get_object_or_404(Hub, slug=hub_slug)
    customer = get_object_or_404(Customer.objects.select_related("hub"), hub=hub, user=request.user)
    return _balance_page(request, customer, reverse("balance:mine", args=[hub.slug]))


def balance_by_token(request, token):
    """The same page for whoever holds one of the household's orders' secret links (a
    guest has no account: the link sent to its address proves it is the household)."""
    order = get_object_or_404(Order.objects.select_related("customer__hub"), access_token=token)
    if order.customer is None:
        raise Http404
    return _balance_page(request, order.customer, reverse("balance:by_token", args=[token]))


def _balance_page(request, customer, here: str):
    if request.method not in ("GET", "HEAD", "POST"):
        raise Http404
    hub = customer.hub
    form = None
    if hub.card_payments_available:
        form = TopUpForm(request.POST or None, initial={"token": uuid.uuid4().hex})
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                top_up = top_ups.start_top_up(
                    customer=customer,
                    amount=form.cleaned_data["amount"],
                    token=form.cleaned_data["token"],
                )
            except top_ups.TopUpError as error:
                form.add_error(None, str(error))
            except stripe_api.StripeError:
                logger.exception("Could not start a top-up for customer %s", customer.pk)
                unavailable = _(
                    "Card payment is not available right now. Please try again in a few minutes."
                )
                form.add_error(None, unavailable)
            else:
                return _pay_page(request, customer, top_up, here)
    entries = customer.balance_entries.select_related("order").order_by("-created_at", "-pk")
    return render(
        request,
        "orders/billing/my_balance.html",
        {"hub": hub, "customer": customer, "form": form, "here": here,
         "returned": request.GET.get("top_up") == "done",
         "entries": Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))},
        status=400 if form is not None and form.errors else 200,
    )  # fmt: skip


def _pay_page(request, customer, top_up, here: str):
    return render(
        request,
        "orders/billing/top_up_pay.html",
        {
            "hub": customer.hub,
            "amount": top_up.payment.amount,
            "back_url": here,
            "stripe_js_url": stripe_api.STRIPE_JS_URL,
            "stripe_config": stripe_api.element_config(
                hub=customer.hub,
                client_secret=top_up.client_secret,
                return_path=here + "?top_up=done",
                error_message=_("The payment could not be made. Check your card details."),
            ),
        },
    )
