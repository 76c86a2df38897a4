"""Invoice pages: a cycle's invoices for its hub's managers (adjustments made final, the
PDFs, one ZIP, the sales journal, credit notes), and a household's own invoices and credit
notes. Whoever may not see a document gets a 404."""

import tempfile
import uuid
import zipfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Sum
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.hubs.selectors import get_managed_hub
from orders.models import CreditNote, Invoice, OrderCycle

from . import invoices
from .invoices_forms import CreditNoteForm

# ZIP files are built on disk beyond this size, not in memory.
SPOOL_BYTES = 8 * 1024 * 1024


def _managed_cycle(request, hub_slug, cycle_pk) -> OrderCycle:
    hub = get_managed_hub(request.user, hub_slug)
    return get_object_or_404(
        OrderCycle.objects.filter(hub=hub).exclude(status=OrderCycle.Status.DRAFT),
        pk=cycle_pk,
    )


@login_required
def cycle_invoices(request, hub_slug, cycle_pk):
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    listed = (
        cycle.invoices.select_related("customer")
        .annotate(credited=Sum("credit_notes__total_incl_vat"), notes=Count("credit_notes"))
        .order_by("position")
    )
    notes = CreditNote.objects.filter(invoice__cycle=cycle).order_by("position")
    return render(
        request,
        "orders/billing/invoice_list.html",
        {
            "hub": cycle.hub,
            "cycle": cycle,
            "closed": cycle.phase() == OrderCycle.Phase.CLOSED and cycle.closed_at is not None,
            "missing": cycle.hub.missing_legal_identity(),
            "invoices": listed,
            "credit_notes": notes,
            "progress": invoices.invoicing_progress(cycle) if cycle.adjustments_final_at else None,
        },
    )


@login_required
@require_POST
def confirm_final(request, hub_slug, cycle_pk):
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    try:
        made = invoices.confirm_adjustments_final(cycle=cycle, by=request.user)
    except invoices.InvoiceError as refusal:
        messages.error(request, str(refusal))
    else:
        if made:
            messages.success(request, _("The adjustments are final: invoices are being issued."))
        else:
            messages.info(request, _("The adjustments were already final."))
    return redirect("invoices:cycle", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk)


def _pdf_response(document) -> FileResponse:
    """The document's PDF, rendered now if the worker has not attached it yet."""
    if not document.pdf:
        invoices.attach_pdf(document)
        document = type(document).objects.get(pk=document.pk)
    return FileResponse(
        document.pdf.open("rb"), filename=f"{document.number}.pdf", content_type="application/pdf"
    )


@login_required
def invoice_pdf(request, hub_slug, cycle_pk, pk):
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    return _pdf_response(get_object_or_404(cycle.invoices, pk=pk))


@login_required
def credit_note_pdf(request, hub_slug, cycle_pk, pk):
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    return _pdf_response(get_object_or_404(CreditNote.objects.filter(invoice__cycle=cycle), pk=pk))


@login_required
def invoices_zip(request, hub_slug, cycle_pk):
    """Every invoice and credit note of the cycle in one ZIP, written to a temporary file
    (on disk once big) and streamed from it."""
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    documents = [
        *cycle.invoices.order_by("position").only("number", "pdf"),
        *CreditNote.objects.filter(invoice__cycle=cycle).order_by("position").only("number", "pdf"),
    ]
    if not documents:
        messages.info(request, _("This cycle has no invoice yet."))
        return redirect("invoices:cycle", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk)
    if any(not document.pdf for document in documents):
        messages.info(request, _("The invoices are still being issued: try again in a moment."))
        return redirect("invoices:cycle", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk)
    # Closed by the response once sent.
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    # The PDFs are compressed already: stored as they are.
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_STORED) as archive:
        for document in documents:
            with document.pdf.open("rb") as pdf:
                archive.writestr(f"{document.number}.pdf", pdf.read())
    spool.seek(0)
    name = f"{cycle.hub.order_prefix}-{cycle.pk}-invoices.zip".lower()
    return FileResponse(spool, as_attachment=True, filename=name, content_type="application/zip")


@login_required
def sales_journal(request, hub_slug, cycle_pk):
    """The cycle's sales journal: a row per invoice and per credit note (negative), with
    its amounts excl. VAT and VAT per rate."""
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    header, rows = invoices.sales_journal(cycle)
    name = f"{cycle.hub.order_prefix}-{cycle.pk}-sales-journal.csv".lower()
    return spreadsheets.csv_response(spreadsheets.csv_bytes(header, rows), name)


@login_required
def credit_note_new(request, hub_slug, cycle_pk, pk):
    cycle = _managed_cycle(request, hub_slug, cycle_pk)
    invoice = get_object_or_404(cycle.invoices.select_related("customer", "order"), pk=pk)
    left = invoices.credit_left(invoice)
    if request.method == "POST":
        form = CreditNoteForm(request.POST, invoice=invoice, left=left)
        if form.is_valid():
            try:
                note = invoices.issue_credit_note(
                    invoice=invoice, amounts=form.amounts(), reason=form.cleaned_data["reason"],
                    by=request.user, key=f"credit-note:{form.cleaned_data['token']}",
                )  # fmt: skip
            except invoices.InvoiceError as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request,
                    _("Credit note %(number)s issued; the household's balance received it.")
                    % {"number": note.number},
                )
                return redirect("invoices:cycle", hub_slug=cycle.hub.slug, cycle_pk=cycle.pk)
    else:
        form = CreditNoteForm(initial={"token": uuid.uuid4().hex}, invoice=invoice, left=left)
    return render(
        request,
        "orders/billing/invoice_credit.html",
        {"hub": cycle.hub, "cycle": cycle, "invoice": invoice, "form": form},
        status=422 if form.errors else 200,
    )


# A household's own


@login_required
def my_invoice(request, pk):
    invoice = Invoice.objects.filter(order__user=request.user, pk=pk).first()
    if invoice is None:
        raise Http404
    return _pdf_response(invoice)


@login_required
def my_credit_note(request, pk):
    note = CreditNote.objects.filter(order__user=request.user, pk=pk).first()
    if note is None:
        raise Http404
    return _pdf_response(note)


def invoice_by_token(request, token):
    """The invoice of the order behind the secret link of its e-mails (guests too: the
    link was sent to the household's address)."""
    invoice = Invoice.objects.filter(order__access_token=token).first()
    if invoice is None:
        raise Http404
    return _pdf_response(invoice)


def credit_note_by_token(request, token, pk):
    note = CreditNote.objects.filter(order__access_token=token, pk=pk).first()
    if note is None:
        raise Http404
    return _pdf_response(note)
