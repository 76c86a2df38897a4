"""The forms of the paper-form pages: which forms to print, which form to key, for which
household, which slot. The lines keyed are read by ``services.read_keyed``."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs, phones
from orders.models import OrderingRight
from producers.templatetags.money import clock, day

from .services import MAX_COPIES, NewHousehold


class PrintForm(forms.Form):
    cycle_pickup = inputs.ModelChoiceField(
        label=gettext_lazy("Cycle and pickup point"), queryset=None, empty_label=None
    )
    copies = inputs.IntegerField(
        label=gettext_lazy("How many forms"),
        min_value=1,
        max_value=MAX_COPIES,
        initial=1,
        help_text=gettext_lazy("Each form has its own number."),
    )

    def __init__(self, *args, pickups, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["cycle_pickup"]
        field.queryset = pickups
        field.label_from_instance = lambda pickup: (
            _("%(cycle)s — %(point)s, %(day)s")
            % {
                "cycle": pickup.cycle.name,
                "point": pickup.pickup_point.name,
                "day": day(pickup.pickup_date),
            }
        )


class FindForm(forms.Form):
    number = forms.CharField(
        label=gettext_lazy("Form number"),
        max_length=300,
        help_text=gettext_lazy("Written at the top of the form, for example 1234-5."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )


CONSENTS = [
    (OrderingRight.Consent.IN_PERSON, gettext_lazy("in person")),
    (OrderingRight.Consent.BY_PHONE, gettext_lazy("by phone")),
]


class HouseholdForm(forms.Form):
    """A household the relay helps, or the record of a new one (name, phone, consent)."""

    household = inputs.ModelChoiceField(
        label=gettext_lazy("Household"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("A new household"),
        error_messages={
            "invalid_choice": gettext_lazy(
                "This is not one of the households you help: choose one in the list."
            )
        },
    )
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=150, required=False)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    consent = forms.ChoiceField(
        label=gettext_lazy("The household agreed"),
        choices=CONSENTS,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = households
        self.fields["household"].label_from_instance = lambda customer: (
            f"{customer.full_name} · {phones.display(customer.phone)}"
            if customer.phone
            else customer.full_name
        )
        self.fields["phone"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})
        self.fields["full_name"].widget.attrs.update({"autocomplete": "off"})

    def clean(self):
        data = super().clean()
        if data.get("household") is not None or self.errors:
            return data
        name = " ".join((data.get("full_name") or "").split())
        if not name:
            self.add_error("full_name", _("Choose the household, or give its name."))
        try:
            if not phones.to_e164(data.get("phone") or ""):
                self.add_error("phone", _("Give the household's phone number."))
        except ValidationError as error:
            self.add_error("phone", error)
        if not data.get("consent"):
            self.add_error("consent", _("Say how the household agreed: in person or by phone."))
        return data

    @property
    def new_household(self) -> NewHousehold | None:
        data = self.cleaned_data
        if data.get("household") is not None:
            return None
        return NewHousehold(
            full_name=data["full_name"], phone=data["phone"], consent=data["consent"]
        )


class SlotForm(forms.Form):
    slot = inputs.ModelChoiceField(
        label=gettext_lazy("Pickup time"),
        queryset=None,
        empty_label=None,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose a pickup time.")},
    )

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        field.queryset = slots
        # One slot with room: chosen already, Enter places the order; else the cursor is
        # on the slots, the arrows choose one.
        listed = list(slots)
        self.only_slot = listed[0] if len(listed) == 1 and listed[0].has_room_for() else None
        if self.only_slot is not None:
            field.initial = self.only_slot.pk
        else:
            field.widget.attrs["autofocus"] = True
        self.fields["slot"].label_from_instance = lambda slot: (
            (_("%(start)s–%(end)s (full)") if not slot.has_room_for() else "%(start)s–%(end)s")
            % {"start": clock(slot.starts_at), "end": clock(slot.ends_at)}
        )
