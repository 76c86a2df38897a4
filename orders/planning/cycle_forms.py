"""Forms of the hub manager's order-cycle pages. They check input; ``orders.cycles`` decides."""

from dataclasses import asdict
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from foodhub import inputs
from foodhub.collation import french
from orders import clock
from orders.models import OrderCycle
from producers.models import MAX_PRICE, MAX_STOCK

from .cycles import MAX_CLONE_WEEKS, ClosingForecast

# What a datetime-local input sends and shows (the browser speaks this ISO form whatever the
# language); it is read in the current time zone, Europe/Paris.
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class ParisDateTimeField(inputs.DateTimeField):
    """Read and shown in Europe/Paris whatever time zone is active: the hub's wall clock.

    A time that does not exist or is ambiguous there (the hour skipped or repeated at a
    daylight-saving change) is refused by Django's own check, with its message.
    """

    widget = DateTimeLocalInput

    def prepare_value(self, value):
        with timezone.override(clock.paris()):
            return super().prepare_value(value)

    def to_python(self, value):
        with timezone.override(clock.paris()):
            return super().to_python(value)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


CYCLE_FIELDS = ["name", "opens_at", "closes_at", "fee_percent", "fee_fixed", "fee_vat_rate",
                "message"]  # fmt: skip


class CycleForm(forms.Form):
    """Step 1: name, dates and fee. A plain form (not a ModelForm) so that the instance is
    changed only by ``orders.planning.cycles.update_cycle``, which compares old and new values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(
            forms.fields_for_model(
                OrderCycle, fields=CYCLE_FIELDS, formfield_callback=inputs.formfield
            )
        )
        for name in ("opens_at", "closes_at"):
            self.fields[name] = ParisDateTimeField(
                label=self.fields[name].label,
                input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
                help_text=_("Paris time."),
            )
        for name in ("fee_percent", "fee_fixed"):
            self.fields[name].localize = True
            self.fields[name].widget = forms.TextInput(attrs={"inputmode": "decimal"})
        self.fields["message"].widget = forms.Textarea(attrs={"rows": 3})

    def clean(self):
        data = super().clean()
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The cycle must close after it opens."))
        return data

    @classmethod
    def initial_for(cls, cycle: OrderCycle) -> dict:
        return {name: getattr(cycle, name) for name in CYCLE_FIELDS}


class VariantFilterForm(forms.Form):
    """Step 2's filter: one producer at a time, and a search in its products."""

    producer = inputs.ModelChoiceField(queryset=None, label=_("Producer"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["producer"].queryset = hub.producers.order_by(french("name"))
        self.fields["producer"].empty_label = None


class OfferSelectionForm(forms.Form):
    """Which of the variants shown are offered (checked); ``shown`` is what the page listed,
    so that variants the filter hid are left alone."""

    variants = inputs.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    shown = inputs.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args, variants, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["variants"].queryset = variants
        self.fields["shown"].queryset = variants


class OfferTermsForm(forms.Form):
    """Price and cap of every offer of the cycle, in one form (``price_<pk>``, ``cap_<pk>``);
    an offer sold by weight is priced per kg."""

    def __init__(self, *args, offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = list(offers)
        for offer in self.offers:
            self.fields[f"price_{offer.pk}"] = inputs.DecimalField(
                label=_("Price per kg incl. VAT (€)")
                if offer.is_by_weight
                else _("Price incl. VAT (€)"),
                min_value=Decimal("0.01"),
                max_value=MAX_PRICE,
                decimal_places=2,
                localize=True,
                initial=offer.price_per_kg if offer.is_by_weight else offer.price,
                widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            )
            self.fields[f"cap_{offer.pk}"] = inputs.IntegerField(
                label=_("Most sold"),
                min_value=0,
                max_value=MAX_STOCK,
                required=False,
                initial=offer.stock_cap,
            )

    def rows(self):
        for offer in self.offers:
            yield offer, self[f"price_{offer.pk}"], self[f"cap_{offer.pk}"]

    def terms(self) -> dict[int, tuple]:
        return {
            offer.pk: (
                self.cleaned_data[f"price_{offer.pk}"],
                self.cleaned_data[f"cap_{offer.pk}"],
            )
            for offer in self.offers
        }


class CloneForm(forms.Form):
    weeks = inputs.IntegerField(
        label=_("Shift every date by (weeks)"),
        min_value=1,
        max_value=MAX_CLONE_WEEKS,
        initial=1,
    )
    name = forms.CharField(label=_("Name of the new cycle"), max_length=150)


class CloseNowForm(forms.Form):
    """ "Close now" carries back what its confirmation showed
    (``orders.planning.cycles.ClosingForecast``), so that the closing is refused if that
    is no longer what it sets off."""

    orders = inputs.IntegerField(min_value=0, max_value=10**9, widget=forms.HiddenInput)
    awaiting_card = inputs.IntegerField(min_value=0, max_value=10**9, widget=forms.HiddenInput)
    saved_cards = inputs.IntegerField(min_value=0, max_value=10**9, widget=forms.HiddenInput)
    households = inputs.IntegerField(min_value=0, max_value=10**9, widget=forms.HiddenInput)
    producers = inputs.IntegerField(min_value=0, max_value=10**9, widget=forms.HiddenInput)

    @classmethod
    def initial_for(cls, forecast: ClosingForecast) -> dict:
        return asdict(forecast)

    def forecast(self) -> ClosingForecast:
        return ClosingForecast(**self.cleaned_data)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the cycle cancelled?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to every household with an order."),
    )


class DeliveryForm(forms.Form):
    """Where and when the producers deliver (``orders.planning.deliveries``)."""

    place = forms.CharField(
        label=_("Where producers deliver"),
        max_length=255,
        required=False,
        help_text=_("Address and directions. Empty: the hub's address."),
    )
    at = ParisDateTimeField(
        label=_("When producers deliver"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        help_text=_("Paris time."),
    )
