"""Forms of the balances pages. They check input; ``orders.ledger`` decides."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from foodhub import inputs
from orders.models import Payment

from .selectors import SHOWN
from .top_ups import HIGHEST, LOWEST

TOKEN = re.compile(r"[0-9a-f]{32}")


class TokenField(forms.CharField):
    """The hidden token a form is made with when shown, so that sending it twice acts
    once; a token that is not one says the form is out of date."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(max_length=32, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not TOKEN.fullmatch(value):
            raise ValidationError(_("This form is out of date: load the page again."))
        return value


class BalanceFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        choices=list(zip(SHOWN, [_("everyone"), _("in debt"), _("in credit")], strict=True)),
        required=False,
    )
    q = forms.CharField(label=_("Search"), max_length=100, required=False)

    def filters(self) -> dict:
        """The filters asked for; everyone, unsearched, where they are not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        return {"show": data.get("show") or "all", "search": data.get("q") or ""}


class _AmountWithReasonForm(forms.Form):
    """An amount a manager moves on a balance, and why. ``token`` is made when the form
    is shown, so that sending it twice moves it once."""

    amount = inputs.DecimalField(
        label=_("Amount (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    reason = forms.CharField(
        label=_("Why"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept with the entry, shown to the other managers."),
    )
    token = TokenField()


class CorrectionForm(_AmountWithReasonForm):
    """A manager's correction of a balance: which way, how much, why."""

    direction = forms.ChoiceField(
        label=_("The correction"),
        choices=[
            ("credit", _("gives the household credit (the hub owes it)")),
            ("debit", _("charges the household (it owes the hub)")),
        ],
        widget=forms.RadioSelect,
    )
    field_order = ["direction", "amount", "reason", "token"]

    def signed_amount(self):
        amount = self.cleaned_data["amount"]
        return amount if self.cleaned_data["direction"] == "credit" else -amount


class RefundForm(_AmountWithReasonForm):
    """A manager's refund of a household's credit to its card (``orders.billing.refunds``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].label = _("Amount to refund (€)")


class TopUpForm(forms.Form):
    """How much a household tops up its credit with, by card (``orders.billing.top_ups``
    checks the bounds again)."""

    amount = inputs.DecimalField(
        label=_("Amount (€)"),
        max_digits=10,
        decimal_places=2,
        min_value=LOWEST,
        max_value=HIGHEST,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    token = TokenField()


class PaymentForm(forms.Form):
    """Money received for an order paid at pickup, by a manager or at the counter
    (``orders.billing.counter``)."""

    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=[
            (Payment.Method.CASH.value, Payment.Method.CASH.label),
            (Payment.Method.CHEQUE.value, Payment.Method.CHEQUE.label),
            (Payment.Method.TRANSFER.value, Payment.Method.TRANSFER.label),
        ],
        initial=Payment.Method.CASH.value,
    )
    amount = inputs.DecimalField(
        label=_("Amount (€)"),
        min_value=Decimal("0.01"),
        max_value=Decimal("100000"),
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    keep_change = forms.BooleanField(
        label=_("Keep the change as credit"),
        required=False,
        help_text=_("More than what is due: the rest is the household's credit with the hub."),
    )


class WeightForm(forms.Form):
    """A line's real weight, in kg (``1,250`` or ``1.250``); ``confirm`` when it is far
    from the estimate. ``orders.billing.weighing`` checks the rest."""

    weight = inputs.DecimalField(
        label=_("Weight (kg)"),
        max_digits=9,
        decimal_places=3,
        localize=True,
        error_messages={"required": _("Enter a weight in kg, such as 1.250.")},
    )
    confirm = forms.BooleanField(required=False)


class PeriodForm(forms.Form):
    """The days of a period report (from the first to the last, both included)."""

    start = inputs.DateField(label=_("From"))
    end = inputs.DateField(label=_("To (included)"))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The period ends before it starts."))
        if start and end and (end - start).days > 366:
            raise ValidationError(_("A period is at most a year."))
        return data
