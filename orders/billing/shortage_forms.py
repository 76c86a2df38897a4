"""Forms of the shortages and corrections pages. They read what was typed;
``orders.billing.shortages`` and ``corrections`` decide."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from foodhub import inputs
from orders.models import Shortage

FINGERPRINT = re.compile(r"[0-9a-f]{32}")
UNITS = {"inputmode": "numeric", "autocomplete": "off", "size": 5}


class ShortageForm(forms.Form):
    """How many units came, and how they are shared; by hand, a quantity per line (a
    field ``line-<id>`` for each of ``lines``)."""

    delivered = inputs.IntegerField(
        label=_("Quantity delivered"),
        min_value=0,
        help_text=_("How many units came in all, for every household."),
        widget=forms.TextInput(attrs=UNITS),
        error_messages={"required": _("Enter the quantity delivered, such as 8.")},
    )
    strategy = forms.ChoiceField(
        label=_("Who gets less"),
        choices=Shortage.Strategy.choices,
        initial=Shortage.Strategy.LAST_FIRST,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"line-{line.pk}"] = inputs.IntegerField(
                label=_("%(name)s (ordered %(ordered)s)")
                % {"name": line.order.full_name, "ordered": line.quantity},
                min_value=0,
                max_value=line.quantity,
                required=False,
                widget=forms.TextInput(attrs=UNITS),
            )

    def line_fields(self):
        return [(line, self[f"line-{line.pk}"]) for line in self.lines]

    def clean(self):
        data = super().clean()
        if data.get("strategy") == Shortage.Strategy.BY_HAND:
            for line in self.lines:
                name = f"line-{line.pk}"
                if data.get(name) is None and name not in self.errors:
                    self.add_error(name, _("By hand: give what this household gets."))
        return data

    def quantities(self) -> dict[str, int] | None:
        if self.cleaned_data["strategy"] != Shortage.Strategy.BY_HAND:
            return None
        return {str(line.pk): self.cleaned_data[f"line-{line.pk}"] for line in self.lines}


class ConfirmShortageForm(forms.Form):
    """The plan the manager saw (``Plan.fingerprint``)."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=32)

    def clean_fingerprint(self):
        value = self.cleaned_data["fingerprint"]
        if not FINGERPRINT.fullmatch(value):
            raise ValidationError(_("This form is out of date: load the page again."))
        return value


class LineCorrectionForm(forms.Form):
    """What a line delivers now (at most what was ordered), and why."""

    delivered = inputs.IntegerField(
        label=_("Quantity delivered"),
        min_value=0,
        help_text=_("0 removes the line: nothing of it is delivered."),
        widget=forms.TextInput(attrs=UNITS),
        error_messages={"required": _("Enter the quantity delivered, such as 8.")},
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Told to the household in its e-mail, kept with the entry."),
    )

    def __init__(self, *args, line, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["delivered"]
        field.max_value = line.quantity
        field.validators.append(MaxValueValidator(line.quantity))
