"""The hub manager's weekly schedules and closed periods: thin views over
``orders.schedules``, under /hubs/<hub-slug>/cycles/schedules/.

Every view finds the hub among those the user manages, and the schedule or closure among
that hub's, so another hub's manager gets a 404 and learns nothing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub.hubs.selectors import get_managed_hub
from foodhub.shortcuts import render_form
from orders.checkout import services
from orders.models import OrderCycle, SchedulePickup, WeeklySchedule
from producers.models import VatRate
from producers.templatetags.money import day

from . import schedules
from .pickup_editor import SchedulePickupForm, edit_pickups
from .schedule_forms import ClosureForm, ScheduleForm

PREVIEW_WEEKS = 4


def _schedule_of(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    schedule = get_object_or_404(hub.schedules.select_related("hub"), pk=pk)
    return hub, schedule


def _note_problems(cycle: OrderCycle) -> None:
    """What keeps a draft of a "published directly" schedule from being published."""
    cycle.problems = []
    if cycle.status == OrderCycle.Status.DRAFT:
        cycle.problems = schedules.publish_problems(
            cycle,
            offers=cycle.offer_count,
            slots=cycle.slot_count,
            overlapping=cycle.overlapping or "",
        )


@login_required
def schedule_list(request, hub_slug):
    """Each schedule with its coming weeks (created, to be created, or skipped as closed),
    the cycles it created lately, and the hub's closed periods."""
    hub = get_managed_hub(request.user, hub_slug)
    now = timezone.now()
    pickups = SchedulePickup.objects.select_related("pickup_point").prefetch_related("slots")
    hub_schedules = list(
        hub.schedules.prefetch_related(Prefetch("pickups", queryset=pickups), "producers")
    )
    weeks = schedules.upcoming_weeks(hub, hub_schedules, weeks=PREVIEW_WEEKS, now=now)
    created = schedules.created_cycles(hub_schedules)
    for cycle in created + [p.cycle for plans in weeks.values() for p in plans if p.cycle]:
        _note_problems(cycle)
    today = timezone.localdate(now)
    return render(
        request,
        "orders/manage/schedule_list.html",
        {
            "hub": hub,
            "rows": [(schedule, weeks[schedule.pk]) for schedule in hub_schedules],
            "created": created,
            "closures": list(hub.closures.filter(ends_on__gte=today)),
            "closure_form": ClosureForm(),
        },
    )


def _schedule_form_page(request, hub, schedule, form, *, preview=None, current=None, status=200):
    return render(
        request,
        "orders/manage/schedule_form.html",
        {"hub": hub, "schedule": schedule, "form": form, "preview": preview,
         "current": current},
        status=status,
    )  # fmt: skip


def _confirmed_preview(request, hub, form, schedule=None, current=None):
    """The preview of the form's terms, and whether the manager confirmed exactly it.

    A schedule says when its first cycle opens before it is saved: the terms are saved
    only with the key of the preview the page showed, computed again now (``current``:
    the saved schedule's own, which needs no new confirmation)."""
    try:
        preview = schedules.preview_schedule(hub=hub, schedule=schedule, **form.cleaned_data)
    except services.OrderError as error:
        form.add_error(None, str(error))
        return None, False
    confirmed = request.POST.get("confirmed", "")
    if confirmed == preview.key or (current is not None and current.key == preview.key):
        return preview, True
    if confirmed:
        messages.warning(
            request, _("When the first cycle opens has changed: check it, then confirm.")
        )
    return preview, False


@login_required
def schedule_create(request, hub_slug):
    """The schedule's terms; once valid, the page shows when its first cycle opens, and
    the schedule is created when the manager confirms that."""
    hub = get_managed_hub(request.user, hub_slug)
    form = ScheduleForm(
        request.POST or None,
        hub=hub,
        initial={"is_active": True, "mode": WeeklySchedule.Mode.DRAFT, "weeks_ahead": 2,
                 "fee_vat_rate": VatRate.STANDARD, "fee_percent": 0, "fee_fixed": 0},
    )  # fmt: skip
    preview = None
    if request.method == "POST" and form.is_valid():
        preview, confirmed = _confirmed_preview(request, hub, form)
        if confirmed:
            try:
                schedule = schedules.create_schedule(hub=hub, by=request.user, **form.cleaned_data)
            except services.OrderError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, _("Weekly schedule created: now choose its pickup points.")
                )
                return redirect("cycles:schedule_pickups", hub_slug=hub.slug, pk=schedule.pk)
        if preview is not None and not form.errors:
            return _schedule_form_page(request, hub, None, form, preview=preview)
    status = 400 if request.method == "POST" else 200
    return _schedule_form_page(request, hub, None, form, preview=preview, status=status)


@login_required
def schedule_edit(request, hub_slug, pk):
    """As creating: a change of when the cycles open is saved once its preview is confirmed;
    other changes (name, fee...) are saved at once."""
    hub, schedule = _schedule_of(request, hub_slug, pk)
    initial = ScheduleForm.initial_for(schedule)
    current = schedules.preview_schedule(hub=hub, schedule=schedule, **initial)
    form = ScheduleForm(request.POST or None, hub=hub, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        preview, confirmed = _confirmed_preview(request, hub, form, schedule, current)
        if confirmed:
            try:
                schedules.update_schedule(schedule=schedule, by=request.user, **form.cleaned_data)
            except services.OrderError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request,
                    _("Weekly schedule saved. The cycles it already created are unchanged."),
                )
                return redirect("cycles:schedule_list", hub_slug=hub.slug)
        if preview is not None and not form.errors:
            return _schedule_form_page(request, hub, schedule, form, preview=preview)
    status = 400 if request.method == "POST" else 200
    return _schedule_form_page(
        request, hub, schedule, form, preview=preview, current=current, status=status
    )


@login_required
def schedule_pickups(request, hub_slug, pk):
    """The schedule's pickup points, each on its weekday with its slots."""
    hub, schedule = _schedule_of(request, hub_slug, pk)

    def save(served):
        specs = [
            schedules.SchedulePickupSpec(pickup_point_id=point, weekday=day, slots=slots)
            for point, day, slots in served
        ]
        schedules.set_schedule_pickups(schedule=schedule, pickups=specs, by=request.user)

    return edit_pickups(
        request,
        hub=hub,
        pickups=schedule.pickups.prefetch_related("slots"),
        form_class=SchedulePickupForm,
        day_of=lambda pickup: pickup.weekday,
        save=save,
        saved_message=_("Pickup points and slots of the schedule saved."),
        done_url=reverse("cycles:schedule_list", args=[hub.slug]),
        context={"schedule": schedule, "name": schedule.name},
    )


@login_required
def closure_create(request, hub_slug):
    hub = get_managed_hub(request.user, hub_slug)
    form = ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closure, affected = schedules.add_closure(hub=hub, by=request.user, **form.cleaned_data)
        except services.OrderError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Closed from %(start)s to %(end)s: no cycle will be created for those days.")
                % {
                    "start": day(closure.starts_on),
                    "end": day(closure.ends_on),
                },
            )
            if affected:
                messages.warning(
                    request,
                    _(
                        "These cycles already exist with a pickup in that period; they are "
                        "not cancelled: %(names)s."
                    )
                    % {"names": ", ".join(cycle.name for cycle in affected)},
                )
            return redirect("cycles:schedule_list", hub_slug=hub.slug)
    return render_form(request, "orders/manage/schedule_closure.html", {"hub": hub, "form": form})


@login_required
@require_POST
def closure_delete(request, hub_slug, pk):
    hub = get_managed_hub(request.user, hub_slug)
    closure = get_object_or_404(hub.closures.all(), pk=pk)
    schedules.remove_closure(closure=closure, by=request.user)
    messages.success(
        request,
        _("The hub is open again from %(start)s to %(end)s.")
        % {
            "start": day(closure.starts_on),
            "end": day(closure.ends_on),
        },
    )
    return redirect("cycles:schedule_list", hub_slug=hub.slug)
