"""The credit note form: an amount to credit on each line of an invoice, and why. It
checks input; ``orders.billing.invoices`` decides (what is left of each line)."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from foodhub import inputs

from .forms import TokenField


class CreditNoteForm(forms.Form):
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Printed on the credit note."),
    )
    token = TokenField()

    def __init__(self, *args, invoice, left: list[Decimal], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for index, line in enumerate(invoice.lines):
            name = f"line_{index}"
            self.fields[name] = inputs.DecimalField(
                label=line["description"],
                required=False,
                max_digits=10,
                decimal_places=2,
                min_value=Decimal("0.01"),
                error_messages={"min_value": _("An amount to credit is more than 0 €.")},
                localize=True,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
            self.rows.append({"line": line, "left": left[index], "field": name})

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not any(cleaned.get(row["field"]) for row in self.rows):
            raise ValidationError(_("Enter an amount to credit on at least one line."))
        return cleaned

    def amounts(self) -> dict[int, Decimal]:
        return {
            index: self.cleaned_data[row["field"]]
            for index, row in enumerate(self.rows)
            if self.cleaned_data.get(row["field"])
        }

    def bound_rows(self):
        return [{**row, "bound": self[row["field"]]} for row in self.rows]
