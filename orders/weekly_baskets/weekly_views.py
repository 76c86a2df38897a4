"""A household's weekly baskets (thin views over ``orders.weekly``), and the hub manager's
view of what happened to them in a cycle.

A basket is found among the logged-in household's own: anyone else's is 404. The manager's
page finds the hub among those the user manages, as the other cycle pages do.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.collation import french
from foodhub.hubs.models import Hub
from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import outcome_message, render_form
from orders import clock
from orders.checkout.selectors import variants_for_hub
from orders.models import Order, OrderCycle, WeeklyBasket, WeeklyBasketLine, WeeklyBasketRun
from orders.money import stripe_api
from producers.templatetags.money import day

from . import weekly
from .weekly_forms import BasketForm, PauseForm

logger = logging.getLogger(__name__)

RUNS_SHOWN = 10
RUNS_PER_PAGE = 100


def _basket_or_404(request, pk) -> WeeklyBasket:
    return get_object_or_404(
        WeeklyBasket.objects.select_related("hub", "pickup_point"), pk=pk, user=request.user
    )


@login_required
def basket_list(request):
    baskets = (
        WeeklyBasket.objects.filter(user=request.user)
        .select_related("hub", "pickup_point")
        .annotate(line_count=Count("lines"))
        .order_by(
            Case(When(status=WeeklyBasket.Status.CANCELLED, then=Value(1)), default=Value(0)),
            "-created_at",
            "-pk",
        )
    )
    return render(
        request,
        "orders/weekly/basket_list.html",
        {"baskets": baskets, "today": timezone.localdate()},
    )


@login_required
def basket_start(request):
    """Choose the hub of a new weekly basket."""
    hubs = Hub.objects.order_by(french("name"))
    taken = set(
        WeeklyBasket.objects.filter(user=request.user)
        .exclude(status=WeeklyBasket.Status.CANCELLED)
        .values_list("hub_id", flat=True)
    )
    return render(request, "orders/weekly/basket_start.html", {"hubs": hubs, "taken": taken})


def _terms(form) -> dict:
    """What the basket form says, as the use cases take it."""
    return {name: form.cleaned_data[name] for name in ("lines", *BasketForm.BASKET_FIELDS)}


def _basket_form(request, hub, basket=None):
    return BasketForm(
        request.POST or None,
        hub=hub,
        variants=variants_for_hub(hub),
        user=request.user,
        basket=basket,
    )


def _after_save(basket: WeeklyBasket):
    """To the card page when a card is to be saved, else to the basket."""
    if basket.payment_method == Order.PaymentMethod.CARD and not basket.stripe_payment_method_id:
        return redirect("orders:weekly_card", pk=basket.pk)
    return redirect("orders:weekly_detail", pk=basket.pk)


@login_required
def basket_create(request, hub_slug):
    hub = get_object_or_404(Hub, slug=hub_slug)
    existing = (
        WeeklyBasket.objects.filter(user=request.user, hub=hub)
        .exclude(status=WeeklyBasket.Status.CANCELLED)
        .first()
    )
    if existing is not None:
        messages.info(request, _("You already have a weekly basket at this hub."))
        return redirect("orders:weekly_detail", pk=existing.pk)
    return _basket_page(request, hub, basket=None)


@login_required
def basket_edit(request, pk):
    basket = _basket_or_404(request, pk)
    if basket.status == WeeklyBasket.Status.CANCELLED:
        raise Http404
    return _basket_page(request, basket.hub, basket=basket)


def _basket_page(request, hub, *, basket):
    """The build page: of a new basket (``basket`` None), or of the household's basket."""
    form = _basket_form(request, hub, basket)
    if request.method == "POST" and form.is_valid():
        try:
            if basket is None:
                basket = weekly.create_basket(user=request.user, hub=hub, **_terms(form))
                done = _("Your weekly basket is set up.")
            else:
                basket = weekly.update_basket(basket, request.user, **_terms(form))
                done = _("Your weekly basket is saved.")
        except weekly.WeeklyBasketError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, done)
            return _after_save(basket)
    return render_form(
        request, "orders/weekly/basket_form.html", {"hub": hub, "basket": basket, "form": form}
    )


@login_required
@require_POST
def basket_from_order(request, number):
    """ "Repeat every week" on the page of a live order of the household."""
    order = get_object_or_404(
        Order.objects.select_related("cycle__hub", "cycle_pickup__pickup_point", "slot"),
        number=number,
        user=request.user,
    )
    try:
        basket = weekly.basket_from_order(order, request.user)
    except weekly.WeeklyBasketError as error:
        messages.error(request, str(error))
        existing = (
            WeeklyBasket.objects.filter(user=request.user, hub=order.cycle.hub)
            .exclude(status=WeeklyBasket.Status.CANCELLED)
            .first()
        )
        if existing is not None:
            return redirect("orders:weekly_detail", pk=existing.pk)
        return redirect("orders:order_detail", number=order.number)
    messages.success(
        request,
        _("Your weekly basket is set up: it will be ordered each time %(hub)s opens a cycle.")
        % {"hub": order.cycle.hub.name},
    )
    return redirect("orders:weekly_detail", pk=basket.pk)


def _render_detail(request, basket, *, pause_form=None, status=200):
    today = timezone.localdate()
    lines = WeeklyBasketLine.objects.filter(basket=basket).select_related(
        "variant__product__producer"
    )
    runs = (
        WeeklyBasketRun.objects.filter(basket=basket)
        .select_related("cycle", "order")
        .order_by("-cycle__opens_at", "-pk")[:RUNS_SHOWN]
    )
    live = basket.status != WeeklyBasket.Status.CANCELLED
    next_week = weekly.next_week(basket) if live else None
    since = min(filter(None, [next_week, clock.monday_of(today)]))
    skips = list(basket.skips.filter(week__gte=since).values_list("week", flat=True))
    return render(
        request,
        "orders/weekly/basket_detail.html",
        {
            "basket": basket,
            "hub": basket.hub,
            "lines": lines,
            "runs": runs,
            "live": live,
            "paused": weekly.is_paused(basket, today),
            "next_week": next_week,
            "next_week_skipped": next_week in skips,
            "skips": skips,
            "pause_form": pause_form or PauseForm(),
            "card_available": basket.hub.card_payments_available,
            "card_pending": request.GET.get("card") == "saved" and not basket.card_label,
        },
        status=status,
    )


@login_required
def basket_detail(request, pk):
    return _render_detail(request, _basket_or_404(request, pk))


def _act(request, pk, action, success: str):
    """Run a use case on the household's basket; say how it went; back to the basket."""
    basket = _basket_or_404(request, pk)
    with outcome_message(request, success, weekly.WeeklyBasketError):
        action(basket)
    return redirect("orders:weekly_detail", pk=basket.pk)


def _week_label(week) -> str:
    return day(week)


@login_required
@require_POST
def basket_skip(request, pk):
    """Skip the next week, or take it back (``action=unskip``)."""
    basket = _basket_or_404(request, pk)
    undo = request.POST.get("action") == "unskip"
    try:
        if undo:
            week = weekly.unskip_week(basket, request.user)
            text = _("The week of %(week)s is back on: your basket will be ordered.")
        else:
            week = weekly.skip_week(basket, request.user)
            text = _("The week of %(week)s is skipped: no basket that week.")
    except weekly.WeeklyBasketError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, text % {"week": _week_label(week)})
    return redirect("orders:weekly_detail", pk=basket.pk)


@login_required
@require_POST
def basket_pause(request, pk):
    basket = _basket_or_404(request, pk)
    form = PauseForm(request.POST)
    if form.is_valid():
        try:
            weekly.pause(basket, request.user, form.cleaned_data["until"])
        except weekly.WeeklyBasketError as error:
            form.add_error("until", str(error))
        else:
            messages.success(
                request,
                _("Your weekly basket is paused until %(date)s.")
                % {"date": _week_label(form.cleaned_data["until"])},
            )
            return redirect("orders:weekly_detail", pk=basket.pk)
    return _render_detail(request, basket, pause_form=form, status=400)


@login_required
@require_POST
def basket_resume(request, pk):
    return _act(
        request,
        pk,
        lambda basket: weekly.resume(basket, request.user),
        _("Your weekly basket is back on."),
    )


@login_required
def basket_cancel(request, pk):
    basket = _basket_or_404(request, pk)
    if request.method == "POST":
        return _act(
            request,
            pk,
            lambda basket: weekly.cancel(basket, request.user),
            _("Your weekly basket is cancelled. Orders already placed are kept."),
        )
    if basket.status == WeeklyBasket.Status.CANCELLED:
        return redirect("orders:weekly_detail", pk=basket.pk)
    return render(request, "orders/weekly/basket_cancel.html", {"basket": basket})


@login_required
def basket_card(request, pk):
    """Save a card for the basket with Stripe's Payment Element (a SetupIntent)."""
    basket = _basket_or_404(request, pk)
    if basket.status == WeeklyBasket.Status.CANCELLED or not basket.hub.card_payments_available:
        raise Http404
    try:
        client_secret = weekly.start_card_setup(basket, request.user)
    except (weekly.WeeklyBasketError, stripe_api.StripeError):
        logger.exception("Could not start saving a card for weekly basket %s", basket.pk)
        context = {"basket": basket, "unavailable": True}
        return render(request, "orders/weekly/basket_card.html", context, status=503)
    done_url = reverse("orders:weekly_detail", args=[basket.pk]) + "?card=saved"
    context = {
        "basket": basket,
        "stripe_js_url": stripe_api.STRIPE_JS_URL,
        "stripe_config": stripe_api.element_config(
            hub=basket.hub,
            client_secret=client_secret,
            return_path=done_url,
            error_message=_("The card could not be saved. Check its details."),
        ),
    }
    return render(request, "orders/weekly/basket_card.html", context)


# The hub manager's view


STATUS_ORDER = Case(
    When(status=WeeklyBasketRun.Status.NOT_PLACED, then=Value(0)),
    When(status=WeeklyBasketRun.Status.PARTIAL, then=Value(1)),
    When(status=WeeklyBasketRun.Status.PENDING, then=Value(2)),
    When(status=WeeklyBasketRun.Status.PLACED, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


@login_required
def cycle_baskets(request, hub_slug, pk):
    """The weekly baskets of a cycle: those not placed or cut first, with their reasons."""
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub).select_related("hub"), pk=pk)
    runs = (
        WeeklyBasketRun.objects.filter(cycle=cycle)
        .select_related("basket__user", "basket__pickup_point", "order")
        .annotate(rank=STATUS_ORDER)
        .order_by("rank", french("basket__full_name"), "pk")
    )
    counts = dict(
        WeeklyBasketRun.objects.filter(cycle=cycle)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    summary = [(label, counts.get(value, 0)) for value, label in WeeklyBasketRun.Status.choices]
    return render(
        request,
        "orders/weekly/cycle_baskets.html",
        {"hub": hub, "cycle": cycle, "page": page, "summary": summary},
    )
