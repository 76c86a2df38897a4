"""The hub managers' balances pages: every customer's balance, one customer's entries, a
correction and a refund of credit to the card, and the CSV export."""

import uuid
from datetime import time, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.hubs.selectors import get_managed_hub
from orders import clock, ledger
from orders.models import BalanceEntry, Customer, OrderCycle, Payment
from orders.money import stripe_api

from . import reconciliation, refunds, selectors
from .forms import BalanceFilterForm, CorrectionForm, PeriodForm, RefundForm

PER_PAGE = 50


@login_required
def balance_list(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    form = BalanceFilterForm(request.GET)
    filters = form.filters()
    page = Paginator(selectors.balances(hub, **filters), PER_PAGE).get_page(request.GET.get("page"))
    kept = {"show": filters["show"] if filters["show"] != "all" else "", "q": filters["search"]}
    query = urlencode({key: value for key, value in kept.items() if value})
    return render(
        request,
        "orders/billing/balance_list.html",
        {"hub": hub, "form": form, "page": page, "totals": selectors.totals(hub),
         "filters": filters, "query": query},
    )  # fmt: skip


@login_required
def balance_export(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    filters = BalanceFilterForm(request.GET).filters()
    rows = (
        [customer.full_name, customer.email, customer.phone, customer.balance]
        for customer in selectors.balances(hub, **filters).iterator(chunk_size=500)
    )
    header = [_("Name"), _("E-mail address"), _("Phone"), _("Balance (€)")]
    return spreadsheets.csv_response(
        spreadsheets.csv_bytes(header, rows), f"balances-{hub.slug}.csv"
    )


@login_required
def balance_detail(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    customer = get_object_or_404(Customer.objects.filter(hub=hub), pk=pk)
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                ledger.add_entry(
                    customer=customer,
                    kind=BalanceEntry.Kind.MANUAL,
                    amount=form.signed_amount(),
                    key=f"manual:{customer.pk}:{form.cleaned_data['token']}",
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except ledger.BillingError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The balance is corrected."))
                return redirect("billing:detail", hub_slug=hub.slug, pk=customer.pk)
    else:
        form = CorrectionForm(initial={"token": uuid.uuid4().hex, "direction": "credit"})
    return _detail(request, hub, customer, form=form)


@login_required
@require_POST
def balance_refund(request, hub_slug, pk):
    """Refund a household's credit to the cards it paid the hub with."""
    hub = get_managed_hub(request.user, hub_slug)
    customer = get_object_or_404(Customer.objects.filter(hub=hub), pk=pk)
    form = RefundForm(request.POST, prefix="refund")
    if form.is_valid():
        try:
            rows = refunds.refund_balance(
                customer=customer,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                token=form.cleaned_data["token"],
                by=request.user,
            )
        except refunds.RefundError as error:
            form.add_error(None, str(error))
        except stripe_api.StripeError:
            # Written, not made: the worker makes it (keyed: once).
            refunds.make_refunds_later(customer)
            messages.warning(
                request, _("Stripe cannot be reached: the refund will be made in a moment.")
            )
            return redirect("billing:detail", hub_slug=hub.slug, pk=customer.pk)
        else:
            _tell_refunds(request, rows)
            return redirect("billing:detail", hub_slug=hub.slug, pk=customer.pk)
    return _detail(request, hub, customer, refund_form=form)


def _tell_refunds(request, rows) -> None:
    for row in rows:
        amount = number_format(row.amount, 2)
        if row.status in (Payment.Status.FAILED, Payment.Status.CANCELLED):
            messages.error(
                request,
                _("Stripe refused to refund %(amount)s €, which stays as credit: %(why)s")
                % {"amount": amount, "why": refunds.failure_shown(row)},
            )
        else:
            messages.success(request, _("%(amount)s € refunded to the card.") % {"amount": amount})


def _detail(request, hub, customer, *, form=None, refund_form=None):
    form = form or CorrectionForm(initial={"token": uuid.uuid4().hex, "direction": "credit"})
    # Prefixed: the correction form on the same page has fields of the same names.
    refund_form = refund_form or RefundForm(initial={"token": uuid.uuid4().hex}, prefix="refund")
    charges = refunds.refundable_charges(customer)
    entries = customer.balance_entries.select_related("order", "by").order_by("-created_at", "-pk")
    card_refunds = list(
        customer.payments.filter(kind=Payment.Kind.REFUND).order_by("-created_at", "-pk")[:PER_PAGE]
    )
    for row in card_refunds:
        row.failure_shown = refunds.failure_shown(row)
    return render(
        request,
        "orders/billing/balance_detail.html",
        {"hub": hub, "customer": customer, "form": form, "refund_form": refund_form,
         "refundable": sum((charge.refundable for charge in charges), Decimal("0.00")),
         "card_refunds": card_refunds,
         "entries": Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))},
        status=400 if form.errors or refund_form.errors else 200,
    )  # fmt: skip


@login_required
def cycle_report(request, hub_slug, cycle_pk):
    """Every euro of a cycle accounted for (``reconciliation``)."""
    hub = get_managed_hub(request.user, hub_slug)
    cycle = get_object_or_404(OrderCycle.objects.filter(hub=hub), pk=cycle_pk)
    return render(
        request,
        "orders/billing/reconciliation.html",
        {"hub": hub, "cycle": cycle, "report": reconciliation.for_cycle(cycle)},
    )


@login_required
def period_report(request, hub_slug):
    """Every euro of the cycles that closed in a period (this month unless asked)."""
    hub = get_managed_hub(request.user, hub_slug)
    today = clock.today()
    first = today.replace(day=1)
    form = PeriodForm(request.GET or {"start": first, "end": today})
    report = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        report = reconciliation.for_period(
            hub, clock.at(start, time.min), clock.at(end + timedelta(days=1), time.min)
        )
    return render(
        request,
        "orders/billing/reconciliation.html",
        {"hub": hub, "form": form, "report": report},
        status=200 if report is not None else 400,
    )
