"""Forms of the weekly schedule pages. They check input; ``orders.schedules`` decides."""

from django import forms
from django.utils.translation import gettext_lazy as _

from foodhub import inputs
from foodhub.collation import french
from orders.models import WeeklySchedule

from .cycle_forms import DateInput, TimeInput
from .schedules import MAX_WEEKS_AHEAD

__all__ = ["ClosureForm", "ScheduleForm"]

SCHEDULE_FIELDS = ["name", "is_active", "opens_weekday", "opens_time", "closes_weekday",
                   "closes_time", "mode", "weeks_ahead", "starts_on", "fee_percent", "fee_fixed",
                   "fee_vat_rate", "message"]  # fmt: skip


class ScheduleForm(forms.Form):
    """A plain form (not a ModelForm): the schedule changes only through
    ``orders.schedules``, which checks the producers belong to the hub."""

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                WeeklySchedule, fields=SCHEDULE_FIELDS, formfield_callback=inputs.formfield
            )
        )
        for name in ("opens_time", "closes_time"):
            self.fields[name].widget = TimeInput()
            self.fields[name].help_text = _("Paris time.")
        self.fields["starts_on"].widget = DateInput()
        self.fields["starts_on"].help_text = _(
            "No cycle opens before this day. Leave empty to start with the next cycle due."
        )
        self.fields["weeks_ahead"] = inputs.IntegerField(
            label=self.fields["weeks_ahead"].label,
            min_value=1,
            max_value=MAX_WEEKS_AHEAD,
            help_text=_("Each cycle is created this many weeks before it opens (1 to 8)."),
        )
        self.fields["mode"].widget = forms.RadioSelect(choices=WeeklySchedule.Mode.choices)
        for name in ("fee_percent", "fee_fixed"):
            self.fields[name].localize = True
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["message"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["message"].help_text = _("Copied into each new cycle.")
        self.fields["producers"] = inputs.ModelMultipleChoiceField(
            queryset=hub.producers.order_by(french("name")),
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label=_("Producers"),
            help_text=_("Every product they have on sale is offered, at its catalogue price."),
        )

    def clean(self):
        data = super().clean()
        same_day = data.get("opens_weekday") == data.get("closes_weekday")
        if (
            same_day
            and data.get("opens_time")
            and data.get("opens_time") == data.get("closes_time")
        ):
            self.add_error("closes_time", _("The cycle cannot close at the very time it opens."))
        return data

    @classmethod
    def initial_for(cls, schedule: WeeklySchedule) -> dict:
        initial = {name: getattr(schedule, name) for name in SCHEDULE_FIELDS}
        initial["producers"] = list(schedule.producers.values_list("pk", flat=True))
        return initial


class ClosureForm(forms.Form):
    starts_on = inputs.DateField(label=_("From"), widget=DateInput())
    ends_on = inputs.DateField(label=_("To (included)"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=150,
        required=False,
        help_text=_("Shown on the schedules page, e.g. “Summer holidays”."),
    )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The closed period must end on or after its first day."))
        return data
