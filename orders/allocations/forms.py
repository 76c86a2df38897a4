"""Forms of the food allocation pages. They check input; ``services`` decides."""

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from foodhub import inputs, phones
from foodhub.collation import french
from foodhub.inputs import FIRST_YEAR, LAST_YEAR
from orders.models import Customer
from producers.models import Product

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


class MonthField(forms.CharField):
    """A month typed as 2026-01 (what a browser's month picker sends): its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-01"})

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("Year and month, such as 2026-01."))
        super().__init__(max_length=7, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        found = MONTH.fullmatch(value or "")
        if not found or not 1 <= int(found[2]) <= 12:
            raise ValidationError(_("Enter a month such as 2026-01."), code="invalid")
        if not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
            raise ValidationError(
                _("Enter a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return date(int(found[1]), int(found[2]), 1)


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name of the programme"), max_length=150)
    funder = forms.CharField(
        label=_("Funder"),
        max_length=150,
        help_text=_("Who pays: a town, a social action centre..."),
    )
    monthly_amount = inputs.DecimalField(
        label=_("Amount per household and month (€)"),
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    first_month = MonthField(label=_("First month"))
    last_month = MonthField(label=_("Last month"))
    eligible_only = forms.BooleanField(
        label=_("Only for the products marked as eligible"),
        required=False,
        help_text=_("Otherwise the aid pays for any product of the hub."),
    )

    def clean(self):
        data = super().clean()
        first, last = data.get("first_month"), data.get("last_month")
        if first and last and last < first:
            self.add_error("last_month", _("The last month comes before the first one."))
        return data


class EnrolForm(forms.Form):
    customer = inputs.ModelChoiceField(
        label=_("Household"), queryset=Customer.objects.none(), empty_label=None
    )

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(hub=hub)
        self.fields["customer"].label_from_instance = _household_label


def _household_label(customer: Customer) -> str:
    parts = (customer.full_name, phones.display(customer.phone), customer.email)
    return " · ".join(part for part in parts if part)


class EligibleForm(forms.Form):
    products = inputs.ModelMultipleChoiceField(
        label=_("Eligible products"),
        queryset=Product.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["products"]
        field.queryset = (
            Product.objects.filter(producer__in=hub.producers.all())
            .select_related("producer")
            .order_by(french("name"), "pk")
        )
        field.label_from_instance = lambda product: f"{product.name} ({product.producer.name})"
