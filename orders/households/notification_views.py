"""A household's notification choices: the "the shop is open" e-mail of a hub (on, off, and
off from the e-mail's link), the SMS it chose with each hub, and its private calendar of
pickups."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foodhub.hubs.models import Hub
from foodhub.phones import display
from orders.models import CalendarFeed, Customer, OpeningAlert
from orders.models.households import new_feed_token
from orders.sms import services as sms
from orders.sms.forms import SmsChoicesForm

from . import alerts, ical

# The opening alert.


@require_POST
def opening_alert(request, hub_slug):
    """Turn the hub's "the shop is open" e-mail on (``on=1``) or off (``on=0``); htmx swaps
    the button, other browsers go back to the shop."""
    hub = get_object_or_404(Hub, slug=hub_slug)
    shop_url = reverse("hub_public", args=[hub.slug])
    if not request.user.is_authenticated:
        return redirect_to_login(shop_url)
    choice = request.POST.get("on")
    if choice not in ("0", "1"):
        messages.error(request, _("Choose whether to receive the e-mail or not."))
        return redirect(shop_url)
    on = alerts.set_opening_alert(user=request.user, hub=hub, on=choice == "1")
    if request.htmx:
        return render(
            request, "orders/_opening_alert.html", {"hub": hub, "alert_on": on, "changed": True}
        )
    if on:
        messages.success(
            request,
            _("We will e-mail you when the shop of %(hub)s opens.") % {"hub": hub.name},
        )
    else:
        messages.success(
            request,
            _("You will no longer be e-mailed when the shop of %(hub)s opens.") % {"hub": hub.name},
        )
    return redirect(shop_url)


# Reached from the e-mail, without logging in: the signed token names the person and the
# hub. Mail programs that offer their own "unsubscribe" button POST here without a CSRF
# token (RFC 8058); the token is the authority, not a session, so there is nothing for a
# forged request to borrow.
@csrf_exempt
def opening_alert_unsubscribe(request, token):
    """GET asks to confirm (a link preview must not unsubscribe anyone); POST does it."""
    found = alerts.read_unsubscribe_token(token)
    hub = user = None
    if found is not None:
        user_id, hub_id = found
        hub = Hub.objects.filter(pk=hub_id).first()
        user = get_user_model().objects.filter(pk=user_id).first()
    if hub is None or user is None:
        return render(
            request, "orders/opening_alert_unsubscribe.html", {"invalid": True}, status=400
        )
    subscribed = OpeningAlert.objects.filter(user=user, hub=hub).exists()
    done = False
    if request.method == "POST":
        alerts.set_opening_alert(user=user, hub=hub, on=False)
        subscribed, done = False, True
    return render(
        request,
        "orders/opening_alert_unsubscribe.html",
        {"hub": hub, "subscribed": subscribed, "done": done, "token": token},
    )


# The SMS: with each hub the household is a customer of (its number is the one it gave
# when ordering there).


def _sms_rows(customers, *, posted=None, posted_form=None) -> list[dict]:
    rows = []
    for customer in customers:
        form = posted_form if customer.pk == posted else None
        rows.append({
            "customer": customer,
            "phone": display(customer.phone),
            "mobile": bool(sms.sms_number(customer)),
            "form": form or SmsChoicesForm.for_customer(customer, prefix=f"c{customer.pk}"),
        })  # fmt: skip
    return rows


@login_required
def my_sms(request):
    """Which SMS the household gets from each of its hubs; a POST saves one hub's choice
    (naming the customer, which must be the account's own)."""
    customers = list(Customer.objects.filter(user=request.user).select_related("hub"))
    status = 200
    posted = posted_form = None
    if request.method == "POST":
        raw = request.POST.get("customer", "")
        customer = next((c for c in customers if raw.isascii() and str(c.pk) == raw), None)
        if customer is None:
            raise Http404
        posted = customer.pk
        posted_form = SmsChoicesForm(request.POST, prefix=f"c{customer.pk}")
        if posted_form.is_valid():
            try:
                sms.set_sms_choices(customer, **posted_form.cleaned_data, by=request.user)
            except ValidationError as error:
                posted_form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Your SMS choices for %(hub)s are saved.") % {"hub": customer.hub.name},
                )
                return redirect("orders:my_sms")
        status = 400
    return render(
        request,
        "orders/my_sms.html",
        {"rows": _sms_rows(customers, posted=posted, posted_form=posted_form)},
        status=status,
    )


# The calendar.


def _feed_urls(request, feed: CalendarFeed) -> dict:
    https = request.build_absolute_uri(reverse("orders:calendar_feed", args=[feed.token]))
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


@login_required
def my_calendar(request):
    """The address of the household's private calendar feed, to subscribe to."""
    feed, _created = CalendarFeed.objects.get_or_create(user=request.user)
    return render(
        request,
        "orders/my_calendar.html",
        {
            "feed": feed,
            "urls": _feed_urls(request, feed),
            "orders": ical.calendar_orders(request.user),
        },
    )


@login_required
@require_POST
def calendar_new_address(request):
    """A new secret address: the old one stops working (it was shared by mistake)."""
    CalendarFeed.objects.update_or_create(user=request.user, defaults={"token": new_feed_token()})
    messages.success(
        request,
        _("Your calendar has a new address: the old one no longer works. Subscribe again with "
          "the new one."),
    )  # fmt: skip
    return redirect("orders:my_calendar")


def calendar_feed(request, token):
    """The feed itself: no log-in (calendar programs fetch it alone), the token is the
    secret; an unknown token is a 404."""
    feed = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token=token, user__is_active=True
    )
    response = HttpResponse(
        ical.calendar_feed(feed.user), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = 'inline; filename="pickups.ics"'
    response["Cache-Control"] = "private, max-age=900"
    response["X-Robots-Tag"] = "noindex"
    return response
