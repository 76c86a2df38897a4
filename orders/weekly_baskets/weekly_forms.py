"""Forms of the weekly basket pages. The use cases in ``orders.weekly`` check everything
again: these only turn the browser's fields into clean values and clear messages."""

from itertools import groupby

from django import forms
from django.forms.models import model_to_dict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs, phones
from foodhub.collation import french
from orders.models import Order


class BasketForm(forms.Form):
    """Build or change a weekly basket: products with quantities, pickup, payment."""

    # The basket's own fields this form edits, beside its lines (``qty_<variant>`` fields).
    BASKET_FIELDS = ("pickup_point", "slot_starts_at", "payment_method", "full_name", "phone",
                     "note")  # fmt: skip

    pickup_point = inputs.ModelChoiceField(
        label=gettext_lazy("Pickup point"), queryset=None, empty_label=None
    )
    slot_starts_at = forms.TimeField(
        label=gettext_lazy("Preferred pickup time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy(
            "Each week we book the slot starting at this time, or the nearest one with room."
        ),
    )
    payment_method = forms.ChoiceField(label=gettext_lazy("Payment"), widget=forms.RadioSelect)
    full_name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    phone = forms.CharField(label=gettext_lazy("Phone"), max_length=30, required=False)
    note = forms.CharField(
        label=gettext_lazy("Note for the hub"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, hub, variants, user, basket=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.variants = list(variants)
        self.fields["pickup_point"].queryset = hub.pickup_points.order_by(french("name"))
        methods = [
            (Order.PaymentMethod.AT_PICKUP.value, _("Pay at pickup (cash, cheque or transfer)"))
        ]
        if hub.card_payments_available:
            methods.append(
                (
                    Order.PaymentMethod.CARD.value,
                    _("Card saved with Stripe, charged when each cycle closes"),
                )
            )
        self.fields["payment_method"].choices = methods
        self.fields["payment_method"].initial = Order.PaymentMethod.AT_PICKUP
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        quantities = {}
        if basket is not None:
            quantities = {line.variant_id: line.quantity for line in basket.lines.all()}
            self.initial.update(model_to_dict(basket, fields=self.BASKET_FIELDS))
        else:
            self.initial.update(full_name=user.full_name, phone=user.phone)
        for variant in self.variants:
            self.fields[f"qty_{variant.pk}"] = inputs.IntegerField(
                label=str(variant),
                min_value=0,
                max_value=999,
                required=False,
                initial=quantities.get(variant.pk),
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "qty"}),
            )

    def producers(self):
        """[(producer, [(variant, bound quantity field), ...]), ...] for the template."""
        rows = [(variant, self[f"qty_{variant.pk}"]) for variant in self.variants]
        return [
            (producer, list(group))
            for producer, group in groupby(rows, key=lambda row: row[0].product.producer)
        ]

    def clean_phone(self):
        return phones.to_e164(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        lines = {variant.pk: cleaned.get(f"qty_{variant.pk}") or 0 for variant in self.variants}
        lines = {pk: quantity for pk, quantity in lines.items() if quantity}
        if not lines and not any(f"qty_{v.pk}" in self.errors for v in self.variants):
            raise forms.ValidationError(_("Choose at least one product for your weekly basket."))
        cleaned["lines"] = lines
        return cleaned


class PauseForm(forms.Form):
    until = inputs.DateField(
        label=gettext_lazy("Pause until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy(
            "Your basket comes back with the first cycle opening on that day or later."
        ),
    )

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError(_("Choose a date after today."))
        return until
