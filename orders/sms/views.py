"""The pages of SMS: the stop link of each SMS (no log-in), the provider's inbound webhook
(a household replying STOP), and each hub's SMS per month for its managers."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dates import MONTHS
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foodhub.hubs.selectors import get_managed_hub
from foodhub.phones import display, to_e164
from orders.models import Customer

from . import services
from .backends import twilio

# Twilio expects TwiML in answer; an empty one sends no reply (Twilio answers STOP itself).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def stop(request, token):
    """GET asks to confirm (a link preview must not stop anything); POST stops every SMS
    to the household's number."""
    customer_id = services.read_stop_token(token)
    customer = Customer.objects.filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        return render(request, "orders/sms/stop.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        services.stop_number(services.sms_number(customer))
        # A number not (or no longer) valid still stops this household's SMS.
        Customer.objects.filter(pk=customer.pk, sms_stopped_at=None).update(
            sms_stopped_at=timezone.now()
        )
        done = True
    return render(
        request,
        "orders/sms/stop.html",
        {"token": token, "done": done, "phone": display(customer.phone)},
    )


@csrf_exempt  # Twilio posts without a session: its signature is the authority
@require_POST
def twilio_inbound(request):
    """A household's reply, posted by Twilio, signed with the account's auth token: STOP
    stops the SMS to its number, START starts them again, anything else is ignored. A
    replay changes nothing more; an unknown number is answered 200 like any other."""
    if not settings.TWILIO_AUTH_TOKEN:
        raise Http404
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    given = request.headers.get(twilio.SIGNATURE_HEADER, "")
    if not twilio.is_signed(url, params, given, settings.TWILIO_AUTH_TOKEN):
        raise PermissionDenied
    try:
        number = to_e164(request.POST.get("From", ""))
    except ValidationError:
        number = ""
    if number:
        services.handle_reply(number, request.POST.get("Body", ""))
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@login_required
def per_month(request, hub_slug):
    """How many SMS the hub sent each month (its managers only)."""
    hub = get_managed_hub(request.user, hub_slug)
    months = [
        {**row, "name": f"{MONTHS[row['month'].month]} {row['month'].year}"}
        for row in services.sent_per_month(hub)
    ]
    return render(request, "orders/sms/per_month.html", {"hub": hub, "months": months})
