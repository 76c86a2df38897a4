"""Card payment pages (the pay page, the return page) and Stripe's webhook."""

import logging

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from orders.models import Order
from orders.stock import OrderError

from . import payments, stripe_api

logger = logging.getLogger(__name__)


def _card_order_or_404(token: str) -> Order:
    order = get_object_or_404(Order.objects.select_related("cycle__hub"), access_token=token)
    if order.payment_method != Order.PaymentMethod.CARD:
        raise Http404
    return order


@require_GET
def pay(request, token):
    """Stripe's Payment Element for what the order owes (guests too: found by its secret link)."""
    if not stripe_api.is_configured():
        raise Http404
    order = _card_order_or_404(token)
    if not order.is_live or payments.amount_due(order) <= 0:
        raise Http404
    paid_url = reverse("payments:paid", kwargs={"token": order.access_token})
    try:
        card = payments.start_card_payment(order)
    except payments.PaymentUnderWay:
        return redirect(paid_url)
    except payments.NothingToPay:
        raise Http404 from None
    except (OrderError, stripe_api.StripeError):
        logger.exception("Could not start the card payment of order %s", order.number)
        context = {"order": order, "unavailable": True}
        return render(request, "orders/pay.html", context, status=503)
    context = {
        "order": order,
        "hub": order.cycle.hub,
        "amount": card.payment.amount,
        "is_difference": order.status == Order.Status.PLACED,
        "stripe_js_url": stripe_api.STRIPE_JS_URL,
        "stripe_config": stripe_api.element_config(
            hub=order.cycle.hub,
            client_secret=card.client_secret,
            return_path=paid_url,
            error_message=_("The payment could not be made. Check your card details."),
        ),
        "order_url": order.get_secret_url(),
    }
    return render(request, "orders/pay.html", context)


@require_GET
def paid(request, token):
    """Where Stripe sends the household back. What it says is for show only: the webhook
    alone places the order."""
    order = _card_order_or_404(token)
    redirect_status = request.GET.get("redirect_status", "")
    due = payments.amount_due(order) if order.is_live else None
    paid_up = due is not None and due <= 0
    if paid_up or redirect_status in {"succeeded", "processing"}:
        outcome = "received"
    elif redirect_status in {"failed", "requires_payment_method"}:
        outcome = "failed"
    else:
        outcome = "waiting"
    context = {
        "order": order,
        "outcome": outcome,
        "can_retry": due is not None and due > 0 and stripe_api.is_configured(),
        "order_url": order.get_secret_url(),
    }
    return render(request, "orders/paid.html", context)


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's signed events. 400 for anything not signed by Stripe within 5 minutes."""
    try:
        event = stripe_api.construct_event(request.body, request.headers.get("Stripe-Signature"))
    except stripe_api.InvalidWebhook:
        return HttpResponseBadRequest("invalid webhook")
    payments.handle_event(event)
    return HttpResponse(status=200)
