"""Forms of solidarity prices: the hub's settings, and a household's choice. They check
input; ``orders.solidarity.services`` decides."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from foodhub import inputs
from orders.models import PriceTier, SolidaritySettings
from orders.models.solidarity import HIGHEST_PERCENT, LOWEST_PERCENT


class SolidaritySettingsForm(inputs.ModelForm):
    lower_percent = inputs.IntegerField(
        label=gettext_lazy("Reduced price, as a percentage of the price"),
        help_text=gettext_lazy("Less than 100. For example 70: they pay 7 € for 10 €."),
    )
    upper_percent = inputs.IntegerField(
        label=gettext_lazy("Supporting price, as a percentage of the price"),
        help_text=gettext_lazy("More than 100. For example 130: they pay 13 € for 10 €."),
    )
    support_cap = inputs.DecimalField(
        label=gettext_lazy("Most the fund gives per sale (€)"),
        required=False,
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.00"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=gettext_lazy("Leave empty for no limit."),
    )

    class Meta:
        model = SolidaritySettings
        fields = ["enabled", "lower_percent", "upper_percent", "support_cap"]
        labels = {"enabled": gettext_lazy("Offer solidarity prices")}

    def clean_lower_percent(self):
        value = self.cleaned_data["lower_percent"]
        if not LOWEST_PERCENT <= value < 100:
            raise ValidationError(
                _("The reduced price is between %(low)d %% and 99 %% of the price.")
                % {"low": LOWEST_PERCENT}
            )
        return value

    def clean_upper_percent(self):
        value = self.cleaned_data["upper_percent"]
        if not 100 < value <= HIGHEST_PERCENT:
            raise ValidationError(
                _("The supporting price is between 101 %% and %(high)d %% of the price.")
                % {"high": HIGHEST_PERCENT}
            )
        return value


def tier_choices(settings: SolidaritySettings) -> list[tuple[str, str]]:
    return [
        (
            PriceTier.LOWER,
            _("Reduced price: you pay %(percent)d %% of the price")
            % {"percent": settings.lower_percent},
        ),
        (PriceTier.MIDDLE, _("Normal price: you pay the price")),
        (
            PriceTier.UPPER,
            _("Supporting price: you pay %(percent)d %% of the price")
            % {"percent": settings.upper_percent},
        ),
    ]


class TierForm(forms.Form):
    """A household's tier (its default at the hub's next checkout)."""

    price_tier = forms.ChoiceField(
        label=gettext_lazy("Your price"), widget=forms.RadioSelect, initial=PriceTier.MIDDLE
    )

    def __init__(self, *args, settings: SolidaritySettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_tier"].choices = tier_choices(settings)
