"""Downloads of the printed documents: PDF, or CSV with ``?format=csv``.

Who may download what: a hub's managers everything of their hub's cycles; a producer its
own pick list; a household its own receipt (the volunteers' distribution list lives in
pickup_points). Everyone else gets a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.collation import french
from foodhub.hubs.selectors import get_managed_hub
from orders.checkout.views import _order_or_404
from orders.models import CycleDocument, CyclePickupPoint, OrderCycle, OrderLine
from producers.models import Producer
from producers.selectors import get_producer_for

from . import documents, reports


def download(content: bytes, filename: str, *, csv: bool = False) -> HttpResponse:
    if csv:
        return spreadsheets.csv_response(content, filename)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _file_name(cycle: OrderCycle, what: str, ext: str) -> str:
    return f"{cycle.hub.order_prefix}-{slugify(cycle.name)}-{what}.{ext}".lower()


def _managed_cycle(request, hub_slug, pk) -> OrderCycle:
    hub = get_managed_hub(request.user, hub_slug)
    return get_object_or_404(
        OrderCycle.objects.filter(hub=hub)
        .exclude(status=OrderCycle.Status.DRAFT)
        .select_related("hub"),
        pk=pk,
    )


@login_required
def cycle_documents(request, hub_slug, pk):
    cycle = _managed_cycle(request, hub_slug, pk)
    producers = Producer.objects.filter(
        products__variants__offers__cycle=cycle
    ).distinct().order_by(french("name"))  # fmt: skip
    header = documents.header(cycle)
    context = {
        "hub": cycle.hub,
        "cycle": cycle,
        "header": header,
        "producers": producers,
        "pickups": header.pickups,
        "built": _latest_documents(cycle),
        "big": cycle.orders.live().count() > documents.ON_DEMAND_ORDERS,
    }
    if request.htmx:
        return render(request, "orders/manage/_built_documents.html", context)
    return render(request, "orders/manage/cycle_documents.html", context)


def _latest_documents(cycle):
    latest, built_before = {}, set()
    for document in cycle.documents.order_by("-created_at", "-pk"):
        earlier = latest.setdefault(document.kind, document) is not document
        if earlier and document.status == CycleDocument.Status.DONE:
            built_before.add(document.kind)
    state = documents.orders_state(cycle) if latest else ""
    for document in latest.values():
        document.out_of_date = document.status == CycleDocument.Status.DONE and (
            document.source != state
        )
        # Built again after the orders changed (a shortage, a correction): the one
        # before is out of date.
        document.rebuilding = document.kind in built_before and document.status in (
            CycleDocument.Status.PENDING,
            CycleDocument.Status.RUNNING,
        )
    return [latest[kind] for kind in CycleDocument.Kind.values if kind in latest]


@login_required
@require_POST
def document_request(request, hub_slug, pk, kind):
    cycle = _managed_cycle(request, hub_slug, pk)
    if kind not in CycleDocument.Kind.values:
        raise Http404
    documents.request_document(cycle=cycle, kind=kind, by=request.user)
    messages.info(request, _("The document is being prepared: it will be ready here."))
    return redirect("cycles:documents", hub_slug=cycle.hub.slug, pk=cycle.pk)


@login_required
def document_download(request, hub_slug, pk, document_pk):
    cycle = _managed_cycle(request, hub_slug, pk)
    document = get_object_or_404(
        cycle.documents.filter(status=CycleDocument.Status.DONE), pk=document_pk
    )
    return _file_response(cycle, document)


def _file_response(cycle, document) -> FileResponse:
    name = _file_name(cycle, document.kind.replace("_", "-"), "pdf")
    return FileResponse(document.file.open("rb"), filename=name, content_type="application/pdf")


def _big(request, cycle, kind):
    """A big cycle's PDF is built in the background: the up-to-date one at once, else ask
    for it and say where it will be."""
    if cycle.orders.live().count() <= documents.ON_DEMAND_ORDERS:
        return None
    document = documents.request_document(cycle=cycle, kind=kind, by=request.user)
    if document.status == CycleDocument.Status.DONE:  # up to date: no new build
        return _file_response(cycle, document)
    messages.info(request, _("This cycle has many orders: the document is being prepared below."))
    return redirect("cycles:documents", hub_slug=cycle.hub.slug, pk=cycle.pk)


@login_required
def packing_sheets(request, hub_slug, pk):
    cycle = _managed_cycle(request, hub_slug, pk)
    if _wants_csv(request):
        return download(
            documents.packing_sheets_csv(cycle), _file_name(cycle, "packing", "csv"), csv=True
        )
    if big := _big(request, cycle, CycleDocument.Kind.PACKING_SHEETS):
        return big
    return download(documents.packing_sheets_pdf(cycle), _file_name(cycle, "packing", "pdf"))


@login_required
def crate_labels(request, hub_slug, pk):
    cycle = _managed_cycle(request, hub_slug, pk)
    if not _wants_csv(request) and (big := _big(request, cycle, CycleDocument.Kind.CRATE_LABELS)):
        return big
    if _wants_csv(request):
        return download(
            documents.crate_labels_csv(cycle), _file_name(cycle, "labels", "csv"), csv=True
        )
    return download(documents.crate_labels_pdf(cycle), _file_name(cycle, "labels", "pdf"))


def _pick_list_response(request, cycle, producer, *, with_names):
    name = f"pick-{producer.slug}"
    if _wants_csv(request):
        return download(
            documents.pick_list_csv(cycle, producer, with_names=with_names),
            _file_name(cycle, name, "csv"),
            csv=True,
        )
    rows = documents.pick_list(cycle, producer, with_names=with_names)
    pdf = documents.pick_list_pdf(cycle, producer, rows=rows)
    return download(pdf, _file_name(cycle, name, "pdf"))


@login_required
def manager_pick_list(request, hub_slug, pk, producer_slug):
    cycle = _managed_cycle(request, hub_slug, pk)
    producer = get_object_or_404(cycle.hub.producers, slug=producer_slug)
    return _pick_list_response(request, cycle, producer, with_names=True)


def _cycles_of_producer(producer: Producer):
    return (
        OrderCycle.objects.filter(offers__variant__product__producer=producer)
        .exclude(status__in=[OrderCycle.Status.DRAFT, OrderCycle.Status.CANCELLED])
        .select_related("hub")
        .distinct()
    )


@login_required
def producer_pick_lists(request, producer_slug):
    producer = get_producer_for(request.user, producer_slug)
    pickups = CyclePickupPoint.objects.select_related("pickup_point").order_by(
        "pickup_date", french("pickup_point__name")
    )
    by_weight = OrderLine.objects.filter(
        order__cycle=OuterRef("pk"), producer=producer, price_per_kg__isnull=False
    )
    cycles = (
        _cycles_of_producer(producer)
        .annotate(by_weight=Exists(by_weight))  # its lines to weigh, after the close
        .prefetch_related(Prefetch("pickups", queryset=pickups))
        .order_by("-closes_at")[:20]
    )
    return render(
        request, "orders/producer_pick_lists.html", {"producer": producer, "cycles": cycles}
    )


@login_required
def producer_pick_list(request, producer_slug, cycle_pk):
    producer = get_producer_for(request.user, producer_slug)
    cycle = get_object_or_404(_cycles_of_producer(producer), pk=cycle_pk)
    return _pick_list_response(request, cycle, producer, with_names=cycle.hub.producers_see_names)


def _receipt(order):
    if not order.is_live:
        raise Http404
    return download(documents.receipt_pdf(order), f"{order.number}.pdf")


@login_required
def receipt(request, number):
    return _receipt(_order_or_404(number=number, user=request.user))


def receipt_by_token(request, token):
    return _receipt(_order_or_404(access_token=token))


@login_required
def cycle_report(request, hub_slug, pk, name):
    """A CSV report of a cycle for the accounts: suppliers, customers, payments, VAT, fees."""
    cycle = _managed_cycle(request, hub_slug, pk)
    build = reports.REPORTS.get(name)
    if build is None:
        raise Http404
    return download(build(cycle), _file_name(cycle, name, "csv"), csv=True)
