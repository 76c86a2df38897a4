"""The use cases of food allocation programmes: create one, enrol and withdraw households,
credit a month (by the worker every hour, or a manager's button: the same key, so once),
mark products as eligible.

How the money works (``orders.ledger``): each month's allocation is a balance entry of
kind ``allocation``, keyed by programme, household and month, written with a movement of
the household's purse in the programme. Credit used for an order takes from the purses
first, a restricted one only for the order's eligible lines; the rest of the balance
works as before. What is left of a month is carried over to the next ones, after the
programme's end too: it is the household's to spend at the hub, never paid out.
"""

import logging
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from orders import ledger
from orders.ledger import BillingError
from orders.models import (
    AllocationProgramme,
    AllocationPurse,
    BalanceEntry,
    Customer,
    EligibleProduct,
    Enrolment,
)

logger = logging.getLogger(__name__)


class AllocationError(BillingError):
    """A programme change that cannot be made; the message says why."""


def this_month(now=None) -> date:
    """The first day of the current month, in Paris."""
    return timezone.localdate(now).replace(day=1)


def create_programme(
    *,
    hub,
    name: str,
    funder: str,
    monthly_amount: Decimal,
    first_month: date,
    last_month: date,
    eligible_only: bool,
    by,
) -> AllocationProgramme:
    first_month, last_month = first_month.replace(day=1), last_month.replace(day=1)
    if last_month < first_month:
        raise AllocationError(_("The last month comes before the first one."))
    if monthly_amount <= 0:
        raise AllocationError(_("Enter an amount above 0 €."))
    return AllocationProgramme.objects.create(
        hub=hub, name=name.strip(), funder=funder.strip(), monthly_amount=monthly_amount,
        first_month=first_month, last_month=last_month, eligible_only=eligible_only,
        created_by=by,
    )  # fmt: skip


def enrol(*, programme: AllocationProgramme, customer: Customer, by) -> Enrolment:
    """Enrol a household of the programme's hub (once at a time: enrolling it again while
    it is enrolled changes nothing). Its purse, and so its pseudonym, is made at its first
    enrolment and kept."""
    if customer.hub_id != programme.hub_id:
        raise AllocationError(_("This household is not a customer of the hub."))
    with transaction.atomic():
        AllocationProgramme.objects.select_for_update().get(pk=programme.pk)
        current = Enrolment.objects.filter(
            programme=programme, customer=customer, withdrawn_at__isnull=True
        ).first()
        if current is not None:
            return current
        if not AllocationPurse.objects.filter(programme=programme, customer=customer).exists():
            last = programme.purses.aggregate(last=Max("number"))["last"] or 0
            AllocationPurse.objects.create(programme=programme, customer=customer, number=last + 1)
        return Enrolment.objects.create(programme=programme, customer=customer, enrolled_by=by)


def withdraw(*, enrolment: Enrolment, by) -> Enrolment:
    """End an enrolment (its purse keeps what is left: the household may still spend
    it). Withdrawing twice changes nothing."""
    Enrolment.objects.filter(pk=enrolment.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawn_by=by
    )
    enrolment.refresh_from_db()
    return enrolment


def credit_month(
    *, programme: AllocationProgramme, month: date | None = None, by=None
) -> list[BalanceEntry]:
    """Credit the month's allocation to every household enrolled now (the current month
    by default). Each household's credit is keyed by programme, household and month, and
    written in its own transaction with its purse's movement: a run killed half-way, run
    again, or a manager's button pressed meanwhile credits each household once. Returns
    the entries written by this call."""
    month = (month or this_month()).replace(day=1)
    if not programme.runs_in(month):
        raise AllocationError(_("The programme does not run this month."))
    purses = AllocationPurse.objects.filter(
        programme=programme,
        customer__allocation_enrolments__programme=programme,
        customer__allocation_enrolments__withdrawn_at__isnull=True,
    ).select_related("programme", "customer")
    written = []
    for purse in purses.order_by("pk"):
        key = f"allocation:{programme.pk}:{purse.customer_id}:{month:%Y-%m}"
        if BalanceEntry.objects.filter(key=key).exists():
            continue
        try:
            written.append(ledger.credit_allocation(purse=purse, month=month, by=by))
        except IntegrityError:  # another run wrote it meanwhile
            continue
    return written


def credit_due_months(now=None) -> int:
    """Every programme running this month: credit its enrolled households (the worker,
    every hour; the first run of the month does the work, the others find it done)."""
    month = this_month(now)
    count = 0
    for programme in AllocationProgramme.objects.filter(
        first_month__lte=month, last_month__gte=month
    ).order_by("pk"):
        try:
            count += len(credit_month(programme=programme, month=month))
        except Exception:
            logger.exception("Programme %s: crediting %s failed", programme.pk, month)
    return count


@db_periodic_task(crontab(minute="7"))
def credit_allocations():
    """Every hour, in the worker: ``credit_due_months``."""
    credit_due_months()


def set_eligible_products(*, hub, products, by) -> None:
    """The hub's eligible products are ``products`` (of its producers), no others."""
    wanted = {product.pk for product in products}
    with transaction.atomic():
        EligibleProduct.objects.filter(hub=hub).exclude(product_id__in=wanted).delete()
        have = set(EligibleProduct.objects.filter(hub=hub).values_list("product_id", flat=True))
        EligibleProduct.objects.bulk_create(
            EligibleProduct(hub=hub, product_id=pk, marked_by=by) for pk in sorted(wanted - have)
        )
