"""The paper-form pages of a hub, for its relays and managers (``get_relay_hub``: anybody
else gets a 404): print forms, find a form by its number, key it line by line, review it
and place its order for a household.

The keying screen works without JavaScript: Enter sends the form back with its total and
shortages ("check"); ``static/js/paper_forms.js`` makes Enter move to the next line, keeps
the total and flags shortages as quantities are typed, and jumps to a line by its number.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.collation import french
from orders.checkout.services import OrderError
from orders.models import PaperFormBatch
from orders.relays.selectors import get_relay_hub, helped_households
from orders.relays.services import RelayError
from producers.templatetags.money import euros

from . import documents, services
from .forms import FindForm, HouseholdForm, PrintForm, SlotForm


def _index(request, hub, *, print_form=None, find_form=None, status=200):
    pickups = services.printable_pickups(hub)
    return render(
        request,
        "orders/paper_forms/index.html",
        {
            "hub": hub,
            "print_form": print_form or PrintForm(pickups=pickups),
            "find_form": find_form or FindForm(),
            "has_pickups": pickups.exists(),
            "batches": documents.recent_batches(hub),
            "in_request": services.IN_REQUEST,
        },
        status=status,
    )


@login_required
def index(request, hub_slug):
    return _index(request, get_relay_hub(request.user, hub_slug))


@login_required
@require_POST
def print_forms(request, hub_slug):
    hub = get_relay_hub(request.user, hub_slug)
    form = PrintForm(request.POST, pickups=services.printable_pickups(hub))
    if not form.is_valid():
        return _index(request, hub, print_form=form, status=422)
    cycle_pickup = form.cleaned_data["cycle_pickup"]
    try:
        forms = services.print_forms(
            cycle_pickup=cycle_pickup, by=request.user, copies=form.cleaned_data["copies"]
        )
    except services.PaperFormError as refusal:
        form.add_error(None, str(refusal))
        return _index(request, hub, print_form=form, status=422)
    if batch := forms[0].batch:
        documents.request_batch(batch)
        messages.info(request, _("The forms are being prepared: they will be ready below."))
        return redirect("paper_forms:index", hub_slug=hub.slug)
    pdf = documents.paper_forms_pdf(cycle_pickup, forms)
    name = f"{hub.order_prefix}-{slugify(cycle_pickup.cycle.name)}-{forms[0].code}.pdf".lower()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@login_required
def batch_download(request, hub_slug, pk):
    hub = get_relay_hub(request.user, hub_slug)
    batch = get_object_or_404(
        PaperFormBatch.objects.filter(
            cycle_pickup__cycle__hub=hub, status=PaperFormBatch.Status.DONE
        ).select_related("cycle_pickup__cycle"),
        pk=pk,
    )
    name = f"{hub.order_prefix}-{slugify(batch.cycle_pickup.cycle.name)}-{batch.pk}.pdf".lower()
    return FileResponse(batch.file.open("rb"), filename=name, content_type="application/pdf")


@login_required
def find_form(request, hub_slug):
    """The keying screen of the form whose number was typed (or scanned)."""
    hub = get_relay_hub(request.user, hub_slug)
    form = FindForm(request.GET)
    if form.is_valid():
        paper_form = services.paper_form_of(hub, form.cleaned_data["number"])
        if paper_form is not None:
            return redirect("paper_forms:key", hub_slug=hub.slug, code=paper_form.code)
        form.add_error("number", _("No form of this hub has this number: check the number typed."))
    return _index(request, hub, find_form=form, status=422)


@login_required
def key_form(request, hub_slug, code):
    hub = get_relay_hub(request.user, hub_slug)
    paper_form = services.paper_form_of(hub, code)
    if paper_form is None:
        raise Http404
    page = KeyingPage(request, hub, paper_form)
    if request.method != "POST":
        return page.keying()
    action = request.POST.get("action")
    if action in ("review", "place"):
        return page.review(place=action == "place")
    return page.keying(jump=request.POST.get("jump", ""), status=200)


class KeyingPage:
    """One keying screen: the lines of the form, what was keyed, the household; then the
    review with the slots, then the order placed."""

    def __init__(self, request, hub, paper_form):
        self.request, self.hub, self.paper_form = request, hub, paper_form
        self.cycle_pickup = paper_form.cycle_pickup
        self.cycle = self.cycle_pickup.cycle
        self.lines = services.form_lines(self.cycle, printed_at=paper_form.printed_at)
        data = request.POST if request.method == "POST" else {}
        self.keyed = services.read_keyed(self.lines, data)
        households = helped_households(request.user, hub).order_by(french("full_name"))
        if data and data.get("action") in ("review", "place"):
            self.household_form = HouseholdForm(data, households=households)
        else:  # what was typed, shown again, checked only once reviewed
            initial = {name: data.get(name, "") for name in HouseholdForm.base_fields}
            self.household_form = HouseholdForm(initial=initial, households=households)
        self.errors: list[str] = []
        self.already = services.keyed_order(paper_form)

    def context(self, **extra) -> dict:
        return {
            "hub": self.hub,
            "paper_form": self.paper_form,
            "cycle": self.cycle,
            "cycle_pickup": self.cycle_pickup,
            "keyed": self.keyed,
            "household_form": self.household_form,
            "already": self.already,
            "is_open": self.cycle.is_open(),
            "errors": self.errors,
            **extra,
        }

    def keying(self, *, jump: str = "", status: int = 200):
        # The cursor is on the first line, or the line asked for: keying starts at once.
        focus = self.keyed.lines[0].line.number if self.keyed.lines else None
        jump = str(jump).strip()[:8]
        if jump:
            numbers = {keyed.line.number for keyed in self.keyed.lines}
            if services.LINE_NUMBER.fullmatch(jump) and int(jump) in numbers:
                focus = int(jump)
            else:
                self.errors.append(
                    _("Line %(number)s is not on this form: check the number.") % {"number": jump}
                )
        if self.request.method == "POST":
            self.errors += self.keyed.all_errors
            if self.errors:
                status = 422
        return render(
            self.request,
            "orders/paper_forms/key.html",
            self.context(focus=focus),
            status=status,
        )

    def _refusal(self) -> str | None:
        if self.already:
            return services.FormAlreadyKeyed(self.already).args[0]
        if not self.cycle.is_open():
            return _("This order cycle is not open: its forms cannot be keyed now.")
        return None

    def review(self, *, place: bool):
        household_ok = self.household_form.is_valid()
        if refusal := self._refusal():
            self.errors.append(refusal)
        self.errors += self.keyed.all_errors
        if self.keyed.ok and not self.keyed.ordered:
            self.errors.append(_("Nothing is keyed: type at least one quantity."))
        if self.errors or not household_ok:
            return render(self.request, "orders/paper_forms/key.html", self.context(), status=422)
        slots = self.cycle_pickup.slots.order_by("starts_at", "pk")
        slot_form = SlotForm(self.request.POST if place else None, slots=slots)
        if place and slot_form.is_valid():
            try:
                order = services.place_keyed_order(
                    paper_form=self.paper_form,
                    by=self.request.user,
                    quantities=self.keyed.quantities,
                    slot=slot_form.cleaned_data["slot"],
                    customer=self.household_form.cleaned_data["household"],
                    new_household=self.household_form.new_household,
                )
            except (services.PaperFormError, OrderError, RelayError) as refusal:
                self.errors.append(str(refusal))
            else:
                messages.success(
                    self.request,
                    _("Order %(number)s placed for %(name)s: %(total)s to pay at pickup.")
                    % {
                        "number": order.number,
                        "name": order.full_name,
                        "total": euros(order.total),
                    },
                )
                return redirect(reverse("paper_forms:index", args=[self.hub.slug]))
        rows, amounts = services.priced(self.cycle, self.keyed)
        return render(
            self.request,
            "orders/paper_forms/review.html",
            self.context(
                slot_form=slot_form,
                rows=rows,
                amounts=amounts,
                estimated=any(row.per_kg for row in rows),
            ),
            status=422 if place else 200,
        )
