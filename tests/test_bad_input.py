"""The bad-input sweep: every address of Foodhub, every form on its pages, every value of
the shared corpus (``tests/bad_input.py``). Never a server error; a refused value changes
nothing; a NUL character is refused and never written.

How it goes, once per session, in one world (``_build_world``: a hub, its producer, pickup
point, open cycle, orders, weekly basket, schedule... and a person of each role), each
request rolled back afterwards (``_world_place``), so that every request meets the same state:

1. Every address is read from the URL configuration (``i18n_patterns`` included) and its
   arguments filled from the world. ``test_every_address_is_swept`` fails for an address
   the sweep cannot fill or no persona reaches, until the world gives it what it needs or
   it is listed in ``NOT_SWEPT`` / ``ARGUMENTS_ONLY`` with a reason: a new page is covered
   the day it is added.
2. Each persona who may use a page (``USERS``) GETs it. Every form of the page is read (its
   fields and what a browser sends untouched); each value of the corpus then goes into each
   field in turn, the others keeping theirs. Fields holding numbers or ids (number inputs,
   hidden ids, choices of objects) get every value (``bad_input.NUMERIC``), other fields one
   of each kind (``bad_input.SAMPLE``, ``bad_input.TEXT`` for free text), ``next`` fields
   the bad addresses. A form is sent as a browser sends it: urlencoded, or
   ``multipart/form-data`` when its ``enctype`` says so. Forms htmx posts are posted as
   htmx too, with a sample of the values. A form of the same kind (each row's, creating
   and editing) is swept once.
3. Each page is also fetched in English (``/en/...``: the same forms). The query parameters
   of the page's links (pagination, formats) get the numeric values, and each argument of
   each address the values its converter lets through (huge ids, NUL characters...), as
   htmx too where htmx posts.

Each response: never 5xx (nor an exception); a NUL character refused (4xx); when it is a
refusal (4xx, or a form with errors), nothing written. What is written is recorded by a
database execute wrapper (``sweep.Writes``: INSERT, UPDATE and DELETE statements, minus
those of savepoints rolled back): cheaper than a fingerprint of every table after each
request, and it sees an UPDATE of a table without a time stamp, or a NUL written, too.

Failures are reported by address (``test_no_server_error_on_bad_input[<URL name>]``). The
size and duration are printed (``-s``) on a ``SWEEP`` line; ``SWEEP_ONLY=<regex of URL
names>`` and ``SWEEP_PROGRESS=1`` help when working on it.
"""

import logging
import os
import re
from collections import defaultdict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal
from time import monotonic, process_time
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState
from django.urls import Resolver404, resolve
from django.utils import timezone, translation

from foodhub.content import editors
from foodhub.hubs.models import Relay
from foodhub.hubs.services import invite
from orders.allocations import services as allocation_services
from orders.billing import invoices, shortages
from orders.checkout import services as order_services
from orders.households.alerts import unsubscribe_token
from orders.models import (
    CalendarFeed,
    CycleDocument,
    Invoice,
    Order,
    OrderCycle,
    PaperFormBatch,
    SolidaritySettings,
    Weekday,
)
from orders.paper_forms import services as paper_forms
from orders.planning.schedules import add_closure, create_schedule
from orders.relays.services import create_household, grant
from orders.sms.services import set_sms_choices, stop_token
from orders.weekly_baskets import weekly
from pickup_points.models import PickupPointMembership, SharingRequest
from tests import bad_input, dbcache, factories
from tests.sweep import Writes, discover_routes, form_body, parse_page

# Tell pytest-django to set the test database up; the data itself is the module's world.
pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "household", "producer_member", "manager", "coordinator", "relay")

# Who uses which pages, by the start of their URL name (the longest start wins): each page
# is visited as each of them. An address none of these names is visited as everyone.
USERS = {
    "producers:": ["producer_member"],
    "producer_": ["producer_member"],
    "hubs:": ["manager"],
    "cycles:": ["manager"],
    "billing:": ["manager"],
    "balance:": ["household"],
    "balance:by_token": ["anonymous", "household"],  # an order's secret link
    "weighing:hub": ["manager"],
    "weighing:producer": ["producer_member"],
    "shortages:": ["manager"],
    "invoices:": ["manager"],
    "allocations:": ["manager"],
    "solidarity:": ["manager"],
    "solidarity:my_price": ["household"],
    "invoices:my_": ["household"],
    "invoices:by_token": ["anonymous"],
    "invoices:credit_note_by_token": ["anonymous"],
    "paper_forms:": ["manager"],  # a hub's relays and managers (tests/orders/test_paper_forms.py)
    "pickup_points:": ["coordinator", "manager"],
    "pickup_points:my_points": ["coordinator"],
    "pickup_points:hub_points": ["manager"],
    "pickup_points:point_": ["manager"],
    "orders:": ["household"],
    "relays:": ["relay"],
    "orders:order_by_token": ["anonymous", "household"],  # the order's secret link
    "orders:order_change": ["anonymous", "household"],
    "orders:order_cancel": ["anonymous", "household"],
    "orders:receipt_by_token": ["anonymous"],
    "orders:calendar_feed": ["anonymous"],
    "orders:opening_alert_unsubscribe": ["anonymous"],
    "sms_per_month": ["manager"],
    "sms_stop": ["anonymous"],  # the link of each SMS
    "payments:": ["anonymous"],
    "account_": ["anonymous", "household"],
    "spaces": ["household"],
    "invitation": ["anonymous"],
    "hub_public": ["anonymous", "household"],
    "basket": ["anonymous", "household"],
    "checkout": ["anonymous", "household"],
    "home": ["anonymous"],
    "health": ["anonymous"],
    "wagtail_serve": ["anonymous"],
}


def users_of(name: str) -> list[str]:
    starts = [start for start in USERS if name.startswith(start)]
    return USERS[max(starts, key=len)] if starts else list(PERSONAS)


# Addresses the sweep leaves alone, each with why. Keys are URL names or route prefixes.
NOT_SWEPT = {
    "pickup_points:request_withdraw": "the asking hub's managers only (no persona here): "
    "tests/pickup_points/test_point_sharing.py tries every role and bad id on it",
    "admin/": "Django's admin: platform staff only, Django's own forms and tests",
    "cms/": "Wagtail's page editor: Wagtail's forms, swept by the `content` helper's tests",
    "documents/": "Wagtail's document downloads: Wagtail's own view, Foodhub links none",
    "_util/": "Wagtail's password-protected pages: Foodhub restricts no page",
    "account_confirm_email": "allauth's link from its e-mail: a signed key allauth checks",
    "account_reset_password_from_key": "allauth's link from its e-mail: a key allauth checks",
    "account_confirm_login_code": "allauth's code form, only after a code was asked for in "
    "the same session (allauth's own form and checks)",
    "account_set_password": "allauth's form for accounts without a password; every persona "
    "has one (allauth's own form)",
    "sms_twilio": "the SMS provider's webhook: no page posts to it, and without a signature "
    "it refuses everything; tests/orders/test_sms_pages.py posts forged, replayed, unsigned "
    "and bad replies to it",
}

# Addresses no persona can reach in the world, whose arguments are still swept, with why.
ARGUMENTS_ONLY = {
    "orders:weekly_card": "saving a card needs Stripe's keys (the `money` helper's tests)",
    "payments:pay": "paying by card needs Stripe's keys (the `money` helper's tests)",
}

# Addresses reached but not given 0 server errors yet, owned by another helper of issue 13.
KNOWN = {}

# Arguments are filled from the world's values by their name; ``pk`` and ``token`` by the
# address's name (else the open cycle's pk, the household's order's token).
PK_OF = {
    "producers:product_edit": "product",
    "producers:product_duplicate": "product",
    "producers:product_set_active": "product",
    "producers:variant_remove": "variant",
    "producers:quick_update": "variant",
    "cycles:schedule_edit": "schedule",
    "cycles:schedule_pickups": "schedule",
    "cycles:closure_delete": "closure",
    "billing:detail": "customer",
    "billing:refund": "customer",
    "invoices:invoice_pdf": "invoice",
    "invoices:credit_note_new": "invoice",
    "invoices:credit_note_pdf": "credit_note",
    "invoices:my_invoice": "invoice",
    "invoices:my_credit_note": "credit_note",
    "invoices:credit_note_by_token": "credit_note",
    "relays:household": "helped_customer",
    "relays:start": "helped_customer",
    "relays:sms": "helped_customer",
    "orders:withdraw_right": "right",
    "paper_forms:batch": "paper_batch",
    "allocations:programme": "programme",
    "allocations:credit": "programme",
    "allocations:withdraw": "programme",
    "allocations:report": "programme",
    "allocations:report_csv": "programme",
}
TOKEN_OF = {
    "payments:pay": "card_token",
    "payments:paid": "card_token",
    "invitation": "invitation_token",
    "orders:calendar_feed": "feed_token",
    "orders:opening_alert_unsubscribe": "unsubscribe_token",
    "sms_stop": "sms_stop_token",
    "invoices:by_token": "invoiced_token",
    "invoices:credit_note_by_token": "invoiced_token",
}
WHOLE_PATH = {"wagtail_serve": "portrait_path"}
# Arguments filled from another of the world's values, by the start of the URL name.
ARGUMENTS_OF = {
    "weighing:": {"cycle_pk": "closed_cycle_pk", "line_pk": "weighed_line_pk"},
    "shortages:": {"cycle_pk": "closed_cycle_pk", "line_pk": "weighed_line_pk",
                   "offer_pk": "closed_offer_pk", "shortage_pk": "shortage_pk"},
    "invoices:": {"cycle_pk": "invoiced_cycle_pk"},
    "relays:": {"number": "helped_number"},
    "allocations:": {"enrolment_pk": "enrolment_pk"},
}  # fmt: skip

# Values for the arguments of addresses: ids no database holds, digits Python reads as digits.
KWARG_VALUES = [*bad_input.HUGE_IDS, *bad_input.UNICODE_DIGITS, "0", "-1", *bad_input.WITH_NUL,
                "x" * 300]  # fmt: skip


# The world


def _build_world() -> dict:
    """A hub with its producer, pickup point, open cycle and orders, and a person of each
    role; every address of the sweep is filled from it."""
    editors.ensure_site()
    category = factories.CategoryFactory(name="Légumes", slug="legumes")
    factories.LabelFactory(name="Agriculture biologique (AB)", slug="ab")
    producer = factories.ProducerFactory(name="Ferme du Mélantois", slug="ferme-du-melantois")
    portrait = editors.set_up_producer(producer)
    hub = factories.HubFactory(name="Drive fermier de Lille", slug="lille")
    # Solidarity prices: the checkout asks for a price, the household's price page exists.
    SolidaritySettings.objects.create(hub=hub, enabled=True, support_cap=Decimal("100.00"))
    hub.producers.add(producer)
    point = factories.PickupPointFactory(
        name="La Ruche de Fives", slug="ruche-fives", owner_hub=hub
    )
    point.hubs.add(hub)
    # Another hub asks to use the point: its request is answered by the point's managers.
    other_hub = factories.HubFactory(name="Drive de Roubaix", slug="roubaix")
    sharing = SharingRequest.objects.create(pickup_point=point, hub=other_hub)

    users = {
        "household": factories.UserFactory(email="foyer@example.org", full_name="Camille Foyer"),
        "producer_member": factories.UserFactory(email="maraicher@example.org"),
        "manager": factories.UserFactory(email="gestion@example.org"),
        "coordinator": factories.UserFactory(email="coord@example.org"),
        "relay": factories.UserFactory(email="relais@example.org", full_name="Martine Relais"),
    }
    relay = Relay.objects.create(hub=hub, user=users["relay"])
    factories.ProducerMembershipFactory(producer=producer, user=users["producer_member"])
    factories.HubMembershipFactory(hub=hub, user=users["manager"])
    factories.PickupPointMembershipFactory(
        pickup_point=point, user=users["coordinator"], role=PickupPointMembership.Role.COORDINATOR
    )
    volunteer = factories.PickupPointMembershipFactory(pickup_point=point)

    carrots = factories.VariantFactory(
        product__producer=producer, product__name="Carottes", product__category=category,
        name="botte 1 kg", price=Decimal("2.40"), stock_quantity=50,
    )  # fmt: skip
    factories.VariantFactory(product=carrots.product, name="botte 2 kg", price=Decimal("4.50"))
    bread = factories.VariantFactory(
        product__producer=producer, product__name="Pain de campagne", product__category=category,
        name="1 kg", unit="piece", price=Decimal("4.80"), stock_mode="on_demand",
    )  # fmt: skip

    cycle = factories.OrderCycleFactory(hub=hub, name="Semaine 48")
    cycle_pickup = factories.CyclePickupPointFactory(cycle=cycle, pickup_point=point)
    slot = factories.PickupSlotFactory(cycle_pickup=cycle_pickup, capacity=50)
    offer = factories.OfferFactory(cycle=cycle, variant=carrots)
    factories.OfferFactory(cycle=cycle, variant=bread)

    household = users["household"]
    order = order_services.place_order(
        cycle=cycle, items={offer.pk: 2}, email=household.email, full_name=household.full_name,
        slot=slot, user=household, notify=False,
    )  # fmt: skip
    helped = create_household(
        hub=hub, by=users["relay"], full_name="Mme Dupont", phone="06 12 34 56 78",
        consent="in_person",
    )  # fmt: skip
    helped_order = order_services.place_order(
        cycle=cycle, items={offer.pk: 1}, email="", full_name="", slot=slot, customer=helped,
        placed_by=users["relay"], notify=False,
    )  # fmt: skip
    right = grant(customer=order.customer, by=household, email=users["relay"].email)
    card_order = order_services.place_order(
        cycle=cycle, items={offer.pk: 1}, email="invite@example.org", full_name="Invité",
        slot=slot, notify=False,
    )  # fmt: skip
    Order.objects.filter(pk=card_order.pk).update(payment_method=Order.PaymentMethod.CARD)
    # The household gave its mobile number: its SMS choices can be swept.
    order.customer.phone = "+33612345678"
    order.customer.save()
    set_sms_choices(order.customer, confirmation=True, reminder=False, shop_open=False,
                    by=household)  # fmt: skip
    payment = order_services.record_payment(
        order=order, method="cash", amount="1.00", by=users["coordinator"]
    )
    basket = weekly.create_basket(
        user=household, hub=hub, pickup_point=point, lines={carrots.pk: 1}
    )
    schedule = create_schedule(
        hub=hub, by=users["manager"], name="Chaque semaine", is_active=False,
        opens_weekday=Weekday.MONDAY, opens_time=time(8),
        closes_weekday=Weekday.THURSDAY, closes_time=time(20),
        mode="draft", weeks_ahead=1, starts_on=None, message="", fee_percent="0",
        fee_fixed="0", fee_vat_rate="20.0", producers=[producer],
    )  # fmt: skip
    # Last week's cycle, closed, with a chicken sold by weight to weigh.
    chicken = factories.VariantFactory(
        product__producer=producer, product__name="Poulet fermier", product__category=category,
        name="pièce", unit="kg", quantity_per_unit=Decimal("1.5"), sold_by_weight=True,
        price_per_kg=Decimal("12.00"), price=Decimal("18.00"),
    )  # fmt: skip
    closed = factories.OrderCycleFactory(hub=hub, name="Semaine 47")
    closed_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=closed, pickup_point=point)
    )
    closed_offer = factories.OfferFactory(cycle=closed, variant=chicken)
    weighed = order_services.place_order(
        cycle=closed, items={closed_offer.pk: 1}, email=household.email,
        full_name=household.full_name, slot=closed_slot, user=household, notify=False,
    )  # fmt: skip
    OrderCycle.objects.filter(pk=closed.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(hours=1)
    )
    closed.refresh_from_db()
    # The chicken did not come: a shortage recorded, to confirm.
    shortage = shortages.record_shortage(
        cycle=closed, offer=closed_offer, delivered=0, by=users["manager"]
    )
    # Two weeks ago, invoiced: its adjustments are final, its invoice issued, and credited.
    hub.legal_name, hub.legal_street, hub.legal_postcode = "SCIC Drive", "1 rue", "59000"
    hub.legal_city, hub.siret, hub.vat_number = "Lille", "73282932000074", "FR44732829320"
    hub.save()
    invoiced = factories.OrderCycleFactory(hub=hub, name="Semaine 46")
    invoiced_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=invoiced, pickup_point=point)
    )
    order_services.place_order(
        cycle=invoiced, items={factories.OfferFactory(cycle=invoiced, variant=bread).pk: 2},
        email=household.email, full_name=household.full_name, slot=invoiced_slot,
        user=household, notify=False,
    )  # fmt: skip
    OrderCycle.objects.filter(pk=invoiced.pk).update(
        opens_at=timezone.now() - timedelta(days=10), closes_at=timezone.now() - timedelta(days=8),
        closed_at=timezone.now() - timedelta(days=8), adjustments_final_at=timezone.now(),
    )  # fmt: skip
    invoices.issue_cycle_invoices(invoiced.pk)
    invoice = Invoice.objects.get(cycle=invoiced)
    credit_note = invoices.issue_credit_note(
        invoice=invoice, amounts={0: Decimal("1.00")}, reason="Abîmé", by=users["manager"],
        key="sweep",
    )  # fmt: skip
    invoices.attach_pdf(credit_note)
    today = timezone.localdate()
    closure, _affected = add_closure(
        hub=hub, starts_on=today + timedelta(days=60), ends_on=today + timedelta(days=67)
    )
    invitation = invite(email="nouvelle@example.org", hub=hub, invited_by=users["manager"])
    feed = CalendarFeed.objects.create(user=household)
    document = CycleDocument.objects.create(
        cycle=cycle, kind=CycleDocument.Kind.PACKING_SHEETS, status=CycleDocument.Status.DONE
    )
    document.file.save("packing-sheets.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    [paper_form] = paper_forms.print_forms(cycle_pickup=cycle_pickup, by=users["manager"], copies=1)
    paper_batch = PaperFormBatch.objects.create(
        cycle_pickup=cycle_pickup, status=PaperFormBatch.Status.DONE
    )
    paper_batch.file.save("paper-forms.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    # A food aid programme, the household enrolled and credited this month.
    programme = allocation_services.create_programme(
        hub=hub, name="Caisse de Fives", funder="Ville de Lille", monthly_amount=Decimal("20"),
        first_month=today.replace(day=1), last_month=today.replace(day=1, year=today.year + 1),
        eligible_only=True, by=users["manager"],
    )  # fmt: skip
    enrolment = allocation_services.enrol(
        programme=programme, customer=order.customer, by=users["manager"]
    )
    allocation_services.credit_month(programme=programme)
    return {
        "users": users,
        "values": {
            "producer_slug": producer.slug,
            "hub_slug": hub.slug,
            "point_slug": point.slug,
            "cycle_pk": cycle.pk,
            "pk": cycle.pk,
            "order_pk": order.pk,
            "closed_cycle_pk": closed.pk,
            "weighed_line_pk": weighed.lines.get().pk,
            "closed_offer_pk": closed_offer.pk,
            "shortage_pk": shortage.pk,
            "invoiced_cycle_pk": invoiced.pk,
            "invoiced_token": invoice.order.access_token,
            "invoice": invoice.pk,
            "credit_note": credit_note.pk,
            "offer_pk": offer.pk,
            "offer_id": offer.pk,
            "payment_pk": payment.pk,
            "member_pk": volunteer.pk,
            "request_pk": sharing.pk,
            "document_pk": document.pk,
            "number": order.number,
            "token": order.access_token,
            "card_token": card_order.access_token,
            "kind": CycleDocument.Kind.PACKING_SHEETS,
            "name": "suppliers",
            "product": carrots.product_id,
            "variant": carrots.pk,
            "schedule": schedule.pk,
            "closure": closure.pk,
            "customer": order.customer_id,
            "weekly_basket": basket.pk,
            "invitation_token": invitation.token,
            "feed_token": feed.token,
            "unsubscribe_token": unsubscribe_token(household.pk, hub.pk),
            "sms_stop_token": stop_token(order.customer_id),
            "portrait_path": portrait.get_url(),
            "helped_customer": helped.pk,
            "helped_number": helped_order.number,
            "right": right.pk,
            "relay_id": relay.pk,
            "code": paper_form.code,
            "paper_batch": paper_batch.pk,
            "programme": programme.pk,
            "enrolment_pk": enrolment.pk,
        },
    }


# The sweep


@dataclass
class Sweep:
    """What the sweep did and found."""

    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    covered: set[str] = field(default_factory=set)  # URL names reached by a page or a form
    htmx: set[str] = field(default_factory=set)  # URL names htmx posts to
    unfilled: list[str] = field(default_factory=list)
    addresses: int = 0
    requests: int = 0
    forms: int = 0
    fields: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of this process: the figure that does not depend on the load


# A formset's counts (Django's ManagementForm, no Foodhub code reads them): a few values.
MANAGEMENT = re.compile(r"(^|-)(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS$")
MANAGEMENT_VALUES = ["9" * 20, "١٢", "sNaN", "-1", "abc\x00def"]


FREE_TEXT = {"text", "textarea", "email", "url", "tel", "password", "search"}

# Posted as htmx too (the view answers with a fragment: another template, another status).
HTMX_VALUES = {*bad_input.SAMPLE, "sNaN", "1e400", "9" * 20, "²", "\x00"}


def _values_for(form_field) -> list[str]:
    if form_field.name == "next" or form_field.name.endswith("-next"):
        return bad_input.BAD_NEXT
    if MANAGEMENT.search(form_field.name):
        return MANAGEMENT_VALUES
    if form_field.numeric:
        return bad_input.NUMERIC
    if form_field.kind in FREE_TEXT:
        return bad_input.TEXT
    return bad_input.SAMPLE


def url_name(path: str) -> str:
    try:
        return resolve(path.split("?")[0]).view_name
    except Resolver404:
        return "<no address>"


class Runner:
    """Sends requests as one persona, each in a transaction (or a savepoint, see
    ``_world_place``) rolled back afterwards, and writes down what went wrong under the URL
    name to blame."""

    def __init__(self, sweep: Sweep, persona: str, client: Client):
        self.sweep, self.persona, self.client = sweep, persona, client

    def send(self, method, path, data=None, *, value="", htmx=False, multipart=False, blame=None):
        """``data`` is sent as a browser sends it: a GET's in the query string, a POST's
        urlencoded, or as ``multipart/form-data`` when the form says so (``multipart``)."""
        self.sweep.requests += 1
        cache.clear()  # allauth's rate limits: each request is the first
        headers = {"HX-Request": "true"} if htmx else {}
        if method == "post":
            sent = form_body(data or {}, multipart=multipart)
        else:
            sent = {"data": data or {}}
        writes = Writes(ignored_tables={"django_session"})  # any visit may save its session
        response = problem = None
        with transaction.atomic():
            try:
                with connection.execute_wrapper(writes):
                    response = getattr(self.client, method)(path, headers=headers, **sent)
            except Exception as error:  # noqa: BLE001 - every exception is a finding
                problem = f"{type(error).__name__}: {str(error)[:150]}"
            else:
                problem = self._check(method, response, value, writes)
            transaction.set_rollback(True)
        if problem:
            shown = {k: [str(v)[:30] for v in vs] for k, vs in (data or {}).items()}
            self.sweep.failures[blame or url_name(path)].append(
                f"{self.persona} {method.upper()} {path[:120]} value={value[:40]!r}"
                f"{' (htmx)' if htmx else ''}: {problem} data={str(shown)[:300]}"
            )
        return response

    @staticmethod
    def _check(method, response, value, writes) -> str | None:
        status = response.status_code
        if status >= 500:
            return f"status {status}"
        if writes.nul:
            return f"a NUL character was written into {writes.nul}"
        if "\x00" in value and not 400 <= status < 500:
            return f"a NUL character was not refused (status {status})"
        refused = 400 <= status < 500 or (
            method == "post" and status == 200 and b'class="errorlist' in response.content
        )
        if refused and writes.tables:
            return f"refused (status {status}), yet {writes.tables} written"
        return None


def _sweep_form(runner: Runner, form, sweep: Sweep):
    """Each value of the corpus in each field in turn, the others as the browser sends them.
    Fields repeated per row (``variants-0-price``, ``variants-1-price``) are tried once."""
    sweep.forms += 1
    base = form.data()
    blame = url_name(form.action)
    tried = set()
    for form_field in form.fields:
        shape = re.sub(r"[0-9]+", "#", form_field.name)
        if form_field.name == "csrfmiddlewaretoken" or form_field.kind == "file" or shape in tried:
            continue
        tried.add(shape)
        sweep.fields += 1
        for value in _values_for(form_field):
            data = {**base, form_field.name: [value]}
            if form.method != "post":
                runner.send("get", form.action, data, value=value, blame=blame)
                continue
            sent = {"value": value, "multipart": form.multipart, "blame": blame}
            runner.send("post", form.action, data, **sent)
            if form.htmx and value in HTMX_VALUES:
                runner.send("post", form.action, data, htmx=True, **sent)


def _signature(form) -> tuple:
    """Forms of the same kind are swept once: a row's form on each row, a form on several
    pages, the same form creating and editing (``schedule_create``, ``schedule_edit``)."""
    names = sorted({re.sub(r"[0-9]+", "#", f.name) for f in form.fields})
    kind = re.sub(r"(?<=[:_])(create|edit)$", "", url_name(form.action))
    return (form.method, kind, tuple(names))


def _visit(runner: Runner, route, path: str, sweep: Sweep, seen: set, owner: dict):
    """GET ``path`` as the runner's persona; sweep the forms and query parameters of the
    page when the persona may see it. An address that only takes POST is posted to, empty
    (its form may show only in a state the world is not in: a big cycle's documents...).

    The address counts as reached by the persona when its view answered (a page, a
    redirection elsewhere than the log-in page, a refusal of the empty POST), not a 404."""
    response = runner.send("get", path, blame=route.name)
    if response is not None and response.status_code == 405:
        response = runner.send("post", path, blame=route.name)
    if response is None or response.status_code in (403, 404, 405):
        return
    if "/accounts/login/" in response.get("Location", ""):
        return
    sweep.covered.add(route.name)
    owner.setdefault(route.name, runner.persona)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    page = parse_page(path, response.content.decode())
    for form in page.forms:
        target = url_name(form.action)
        sweep.covered.add(target)
        if form.htmx:
            sweep.htmx.add(target)
        owner.setdefault(target, runner.persona)
        if _signature(form) not in seen:
            seen.add(_signature(form))
            _sweep_form(runner, form, sweep)
    for name in page.link_params:
        if ("link", route.name, name) not in seen:
            seen.add(("link", route.name, name))
            sweep.fields += 1
            for value in bad_input.NUMERIC:
                runner.send("get", path, {name: value}, value=value, blame=route.name)


def _sweep_arguments(runner: Runner, route, values: dict, htmx: bool):
    """Each argument of the address in turn gets the values its converter lets through
    (the others are a 404 of the URL resolver, before any view runs); posted as htmx too
    when htmx posts there."""
    filled = _arguments(route, values)
    for name in route.kwargs:
        for value in KWARG_VALUES:
            if route.accepts(name, value):
                path = route.path({**filled, name: value})
                response = runner.send("get", path, value=value, blame=route.name)
                if response is not None and response.status_code == 405:  # POST only
                    runner.send("post", path, value=value, blame=route.name)
                if htmx:
                    runner.send("post", path, value=value, htmx=True, blame=route.name)


def _arguments(route, values: dict) -> dict:
    filled = {}
    renamed = next(
        (names for start, names in ARGUMENTS_OF.items() if route.name.startswith(start)), {}
    )
    for name in route.kwargs:
        if name == "pk":
            key = PK_OF.get(route.name)
            if key is None and route.name.startswith("orders:weekly_"):
                key = "weekly_basket"
            filled[name] = values[key or "pk"]
        elif name == "token":
            filled[name] = values[TOKEN_OF.get(route.name, "token")]
        else:
            filled[name] = values[renamed.get(name, name)]
    return filled


def _fill(route, values) -> str | None:
    """The address of ``route`` in the world, or None when the sweep cannot fill it."""
    if route.name in WHOLE_PATH:
        return values[WHOLE_PATH[route.name]]
    if route.is_regex:
        return None
    try:
        return route.path(_arguments(route, values))
    except KeyError:
        return None


def _not_swept(route) -> str | None:
    for key, reason in NOT_SWEPT.items():
        if route.name == key or route.route.startswith(key):
            return reason
    return None


# For working on the sweep: SWEEP_ONLY=<regex of URL names> sweeps those addresses only;
# SWEEP_PROGRESS=1 prints each address with the time and the requests so far (with -s).
ONLY = os.environ.get("SWEEP_ONLY", "")


def _progress(result, started, what):
    if os.environ.get("SWEEP_PROGRESS"):
        print(f"{monotonic() - started:7.1f} s {result.requests:6d} {what}", flush=True)


@contextmanager
def _world_place():
    """Where the world lives while the sweep runs; yields where to build it.

    A database copied from the migrated template (tests/dbcache.py) takes the world
    committed, each request then being a transaction of its own, rolled back; afterwards
    the database is copied from the template again. Otherwise the world is built in one
    transaction, each request in a savepoint, all rolled back at the end. (PostgreSQL slows
    down request after request inside one long transaction: the row versions written and
    rolled back to a savepoint pile up until it ends, and the sweep took a quarter of an
    hour there.)"""
    if dbcache.restorable():
        try:
            yield _committed_without_side_effects
        finally:
            dbcache.restore()
    else:
        with transaction.atomic():
            yield nullcontext
            transaction.set_rollback(True)


@contextmanager
def _committed_without_side_effects():
    """Commits what is built, without what it left for after the commit (e-mails, pages):
    the same world as one rolled back at the end, where that never ran either."""
    with transaction.atomic():
        yield
        connection.run_on_commit.clear()


@contextmanager
def _templates_not_recorded():
    """Templates rendered as outside tests: under pytest, each template a response renders
    is recorded by the test client with a copy of its context (Django's
    ``instrumented_test_render``: some 140,000 renders in the sweep, a tenth of its time),
    and the sweep reads neither ``response.templates`` nor ``response.context``."""
    with mock.patch.object(Template, "_render", _TestState.saved_data.template_render):
        yield


@contextmanager
def _refusals_not_logged():
    """The sweep's 2,500 refusals (4xx) are not logged: ``django.request`` warns of each,
    and every handler formats the warning. Server errors are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture(scope="module")
def sweep(django_db_setup, django_db_blocker):
    """The whole sweep, run once; the world is gone at the end of the module."""
    result = Sweep()
    started, cpu = monotonic(), process_time()
    with (
        django_db_blocker.unblock(),
        _templates_not_recorded(),
        _refusals_not_logged(),
        _world_place() as building,
    ):
        with building():
            world = _build_world()
            runners = {}
            for persona in PERSONAS:
                client = Client()
                if persona != "anonymous":
                    client.force_login(world["users"][persona])
                runners[persona] = Runner(result, persona, client)
            # Each persona's state as they would find it: a household with an order in the
            # open cycle changes it through its basket, which the shop fills on the first
            # visit.
            shop = f"/{world['values']['hub_slug']}/"
            for persona in PERSONAS:
                runners[persona].client.get(shop)
        owner = {}  # URL name -> the first persona that could use it
        seen = set()
        routes = []
        for route in discover_routes():
            if _not_swept(route) or (ONLY and not re.search(ONLY, route.name)):
                continue
            path = _fill(route, world["values"])
            if path is None:
                result.unfilled.append(f"{route.name} ({route.route})")
                continue
            routes.append(route)
            _progress(result, started, route.name)
            for persona in users_of(route.name):
                _visit(runners[persona], route, path, result, seen, owner)
        for route in routes:
            runner = runners[owner.get(route.name, "anonymous")]
            # The same page in English (/en/...): its forms are the French ones.
            english = "/en" + _fill(route, world["values"])
            with translation.override("en"):
                in_english = url_name(english) == route.name
            if in_english:
                runner.send("get", english, blame=route.name)
            _progress(result, started, f"arguments of {route.name}")
            _sweep_arguments(runner, route, world["values"], route.name in result.htmx)
    result.addresses = len(routes)
    result.seconds, result.cpu_seconds = monotonic() - started, process_time() - cpu
    print(
        f"\nSWEEP {connection.vendor}: {result.addresses} addresses x {len(PERSONAS)} personas, "
        f"{result.forms} forms, {result.fields} fields, {result.requests} requests "
        f"in {result.seconds:.1f} s ({result.cpu_seconds:.1f} s of CPU)"
    )
    return result


def _route_names() -> list:
    params = []
    for route in discover_routes():
        if _not_swept(route):
            continue
        marks = []
        if route.name in KNOWN:
            marks = [pytest.mark.xfail(reason=KNOWN[route.name], strict=True)]
        params.append(pytest.param(route.name, id=route.name, marks=marks))
    return params


@pytest.mark.parametrize("url_name", _route_names())
def test_no_server_error_on_bad_input(sweep, url_name):
    failures = sweep.failures.get(url_name, [])
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:15])


def test_every_address_is_swept(sweep):
    """A new page is covered the day it is added: filled from the world and reached by a
    persona (its page, or a form posting to it), or listed in NOT_SWEPT with a reason."""
    assert not sweep.unfilled, (
        "Give these addresses' arguments a value from the world (_build_world, PK_OF, "
        f"TOKEN_OF), or list them in NOT_SWEPT with a reason: {sweep.unfilled}"
    )
    reached_by_nobody = sorted(
        route.name
        for route in discover_routes()
        if not _not_swept(route)
        and route.name not in sweep.covered
        and route.name not in ARGUMENTS_ONLY
        and not (ONLY and not re.search(ONLY, route.name))
    )
    assert not reached_by_nobody, (
        "No persona reaches these addresses (no page, no form posting to them): give the "
        f"world what they need, or list them in NOT_SWEPT with a reason: {reached_by_nobody}"
    )


def test_no_failure_outside_an_address(sweep):
    """Requests whose address resolves to nothing (a form posting elsewhere) fail here."""
    assert not sweep.failures.get("<no address>")
