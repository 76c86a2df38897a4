"""The paper order form as PDF (``templates/documents/paper_form.html``): one or more
copies of the same form, each with its own number and QR code, in large print."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from huey.contrib.djhuey import db_task

from orders.models import CyclePickupPoint, PaperForm, PaperFormBatch, PaperFormLine
from orders.printouts.documents import Header, header, render_pdf, without_gc_pauses

from . import services


@dataclass
class Copy:
    form: PaperForm
    qr_svg: str


@dataclass
class FormDocument:
    header: Header
    cycle_pickup: CyclePickupPoint
    slots: list
    lines: list[PaperFormLine]
    copies: list[Copy]


def keying_url(form: PaperForm) -> str:
    hub = form.cycle_pickup.cycle.hub
    return reverse("paper_forms:key", args=[hub.slug, form.code])


def form_document(cycle_pickup: CyclePickupPoint, forms: list[PaperForm]) -> FormDocument:
    """What the forms print: the point's day and slots, the cycle's lines on sale (in the
    form's order) and, per copy, its number and the QR code of its keying screen."""
    import segno  # imported when forms are made: not every process needs it

    cycle = cycle_pickup.cycle
    lines = [line for line in services.form_lines(cycle) if services.on_sale(line)]
    copies = [
        Copy(
            form=form,
            qr_svg=segno.make(settings.SITE_URL + keying_url(form), error="m").svg_inline(
                scale=3, border=1
            ),
        )
        for form in forms
    ]
    return FormDocument(
        header=header(cycle, point=cycle_pickup.pickup_point),
        cycle_pickup=cycle_pickup,
        slots=list(cycle_pickup.slots.order_by("starts_at", "pk")),
        lines=lines,
        copies=copies,
    )


def paper_forms_pdf(cycle_pickup: CyclePickupPoint, forms: list[PaperForm]) -> bytes:
    return render_pdf("documents/paper_form.html", {"doc": form_document(cycle_pickup, forms)})


# More copies than a request builds: the worker builds them, this many at a time.
CHUNK_COPIES = 10


def request_batch(batch: PaperFormBatch) -> None:
    """Have the worker build the batch's PDF once the caller's transaction has committed."""
    transaction.on_commit(lambda: build_batch_pdf(batch.pk), robust=True)


def build_batch(batch_id: int) -> PaperFormBatch:
    """Build and store the PDF of a batch of forms. Claimed by a conditional UPDATE (a
    pending batch only), so two workers never build it twice; a failure is recorded."""
    claimed = PaperFormBatch.objects.filter(
        pk=batch_id, status=PaperFormBatch.Status.PENDING
    ).update(status=PaperFormBatch.Status.RUNNING)
    batch = PaperFormBatch.objects.select_related(
        "cycle_pickup__cycle__hub", "cycle_pickup__pickup_point"
    ).get(pk=batch_id)
    if not claimed:
        return batch
    from pypdf import PdfReader, PdfWriter  # imported when a batch is built (the worker)

    try:
        forms = list(batch.forms.order_by("pk"))
        # A few copies at a time, merged: memory stays bounded (as ``printouts`` does).
        writer = PdfWriter()
        for start in range(0, len(forms), CHUNK_COPIES):
            with without_gc_pauses():
                chunk = paper_forms_pdf(batch.cycle_pickup, forms[start : start + CHUNK_COPIES])
            writer.append(PdfReader(io.BytesIO(chunk)))
        out = io.BytesIO()
        writer.write(out)
        pdf = out.getvalue()
        name = f"{batch.cycle_pickup.cycle.hub.order_prefix}-forms-{batch.pk}.pdf".lower()
        batch.file.save(name, ContentFile(pdf), save=False)
        batch.status, batch.error = PaperFormBatch.Status.DONE, ""
    except Exception as error:  # recorded on the batch, shown to the people who asked
        batch.status, batch.error = PaperFormBatch.Status.FAILED, repr(error)[:1000]
    batch.finished_at = timezone.now()
    batch.save(update_fields=["file", "status", "error", "finished_at"])
    return batch


@db_task()
def build_batch_pdf(batch_id: int):
    """In the worker: build a batch of paper forms (``build_batch``)."""
    build_batch(batch_id)


def recent_batches(hub) -> list[PaperFormBatch]:
    """The hub's last printings built by the worker, with their cycle and point."""
    return list(
        PaperFormBatch.objects.filter(cycle_pickup__cycle__hub=hub)
        .select_related("cycle_pickup__cycle", "cycle_pickup__pickup_point")
        .annotate(copies=Count("forms"))
        .order_by("-created_at", "-pk")[:10]
    )
