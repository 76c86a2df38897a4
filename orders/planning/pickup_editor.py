"""The one editor of pickup points and their slots, for an order cycle (a date each) and
for a weekly schedule (a weekday each): a fieldset per pickup point of the hub, "served"
or not, its day, and its slot rows (the current ones, then blank rows to add some).

The forms check input; what is saved, and what may change, is decided by the use case the
page passes (``cycles.set_pickups``, ``schedules.set_schedule_pickups``).
"""

from collections.abc import Callable
from typing import NamedTuple

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs
from foodhub.collation import french
from foodhub.shortcuts import render_form
from orders.models import Weekday
from orders.stock import OrderError

from .cycle_forms import DateInput, TimeInput
from .cycles import MAX_SLOT_CAPACITY, SlotSpec


class PickupRowForm(forms.Form):
    """One pickup point of the hub: served or not, and when (the subclass's ``day_field``)."""

    day_field = ""
    day_missing = ""

    def __init__(self, *args, point, **kwargs):
        super().__init__(*args, **kwargs)
        self.point = point

    @property
    def day(self):
        return self[self.day_field]

    def clean(self):
        data = super().clean()
        field = self.day_field
        if data.get("served") and data.get(field) is None and field not in self.errors:
            self.add_error(field, self.day_missing)
        return data


class CyclePickupForm(PickupRowForm):
    served = forms.BooleanField(label=gettext_lazy("Served in this cycle"), required=False)
    pickup_date = inputs.DateField(
        label=gettext_lazy("Pickup date"), required=False, widget=DateInput()
    )
    day_field = "pickup_date"
    day_missing = gettext_lazy("Give the pickup date.")


class SchedulePickupForm(PickupRowForm):
    served = forms.BooleanField(label=gettext_lazy("Served by this schedule"), required=False)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Pickup day"),
        choices=[("", "—"), *Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    day_field = "weekday"
    day_missing = gettext_lazy("Choose the pickup day.")


class SlotForm(forms.Form):
    """A slot row: an existing slot (``pk``) or an empty row to add one."""

    starts_at = forms.TimeField(label=gettext_lazy("From"), required=False, widget=TimeInput())
    ends_at = forms.TimeField(label=gettext_lazy("To"), required=False, widget=TimeInput())
    capacity = inputs.IntegerField(
        label=gettext_lazy("Capacity (households)"),
        min_value=1,
        max_value=MAX_SLOT_CAPACITY,
        required=False,
    )
    remove = forms.BooleanField(label=gettext_lazy("Remove"), required=False)

    def __init__(self, *args, pk=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pk = pk

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not (data.get("starts_at") or data.get("ends_at") or data.get("capacity"))

    def clean(self):
        data = super().clean()
        if data.get("remove") or self.is_blank():
            return data
        for name in ("starts_at", "ends_at", "capacity"):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, gettext_lazy("This field is required."))
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext_lazy("The slot must end after it starts."))
        return data

    def spec(self) -> SlotSpec | None:
        """The slot wanted, or None for a blank row or a slot to remove."""
        data = self.cleaned_data
        if data.get("remove") or self.is_blank():
            return None
        return SlotSpec(
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data["capacity"],
            pk=self.pk,
        )


# Empty slot rows offered below the existing ones, to add slots.
NEW_SLOT_ROWS = 2


def slot_forms(data, prefix: str, slots) -> list[SlotForm]:
    """A form per existing slot (a cycle's or a weekly schedule's), then empty rows."""
    forms_ = [
        SlotForm(
            data,
            prefix=f"{prefix}-s{slot.pk}",
            pk=slot.pk,
            initial={"starts_at": slot.starts_at, "ends_at": slot.ends_at,
                     "capacity": slot.capacity},
        )
        for slot in slots
    ]  # fmt: skip
    return forms_ + [SlotForm(data, prefix=f"{prefix}-n{i}") for i in range(NEW_SLOT_ROWS)]


def pickup_rows_valid(rows) -> bool:
    """Whether every pickup form of a pickups page, and each of its slot rows, is valid."""
    return all(form.is_valid() and all(s.is_valid() for s in slots) for _p, form, slots in rows)


class PickupRow(NamedTuple):  # the template reads "for point, form, slots in rows"
    point: object
    form: PickupRowForm
    slots: list[SlotForm]


def pickup_rows(hub, pickups, *, form_class, day_of, data=None) -> list[PickupRow]:
    """A row per pickup point of the hub: its form (served, day) and its slot rows.
    ``pickups`` are the current ones (with their slots); ``day_of(pickup)`` its day."""
    current = {pickup.pickup_point_id: pickup for pickup in pickups}
    rows = []
    for point in hub.pickup_points.order_by(french("name")):
        pickup = current.get(point.pk)
        prefix = f"p{point.pk}"
        form = form_class(
            data,
            prefix=prefix,
            point=point,
            initial={
                "served": pickup is not None,
                form_class.day_field: day_of(pickup) if pickup else None,
            },
        )
        slots = slot_forms(data, prefix, pickup.slots.all() if pickup else [])
        rows.append(PickupRow(point, form, slots))
    return rows


def edit_pickups(
    request,
    *,
    hub,
    pickups,
    form_class: type[PickupRowForm],
    day_of: Callable,
    save: Callable[[list[tuple[int, object, list[SlotSpec]]]], None],
    saved_message: str,
    done_url: str,
    context: dict,
):
    """The page: show the rows; on POST, check them all, then ``save`` the served points as
    (point id, day, slots) and go to ``done_url``; an error of the use case is shown on
    the page, nothing saved."""
    data = request.POST if request.method == "POST" else None
    rows = pickup_rows(hub, pickups, form_class=form_class, day_of=day_of, data=data)
    error = None
    if data is not None:
        if all(row.form.is_valid() and all(s.is_valid() for s in row.slots) for row in rows):
            served = [
                (row.point.pk, row.form.cleaned_data[row.form.day_field],
                 [spec for slot in row.slots if (spec := slot.spec())])
                for row in rows
                if row.form.cleaned_data["served"]
            ]  # fmt: skip
            try:
                save(served)
            except OrderError as exc:
                error = str(exc)
            else:
                messages.success(request, saved_message)
                return redirect(done_url)
        else:
            error = _("Please correct the errors below.")
    return render_form(
        request,
        "orders/manage/pickups.html",
        {"hub": hub, "rows": rows, "error": error, "cancel_url": done_url, **context},
    )
