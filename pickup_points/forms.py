from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from foodhub import inputs

from .models import PickupPoint, SharingRequest


class PickupPointForm(inputs.ModelForm):
    class Meta:
        model = PickupPoint
        fields = [
            "name", "tiers_lieu", "address", "postcode", "city", "access_info", "opening_notes",
            "contact_name", "contact_phone", "contact_email", "latitude", "longitude",
        ]  # fmt: skip
        localized_fields = ["latitude", "longitude"]
        widgets = {
            "access_info": forms.Textarea(attrs={"rows": 3}),
            "opening_notes": forms.Textarea(attrs={"rows": 3}),
            "latitude": forms.TextInput(attrs={"inputmode": "decimal"}),
            "longitude": forms.TextInput(attrs={"inputmode": "decimal"}),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not slugify(name):
            raise forms.ValidationError(_("Give the pickup point a name with letters in it."))
        return name

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            raise forms.ValidationError(_("Give both the latitude and the longitude, or neither."))
        return cleaned


class SharingRequestForm(forms.Form):
    """A hub asks to use a pickup point it does not serve yet."""

    point = inputs.ModelChoiceField(
        label=_("Pickup point"),
        queryset=PickupPoint.objects.none(),
        to_field_name="slug",
        error_messages={
            "required": _("Choose a pickup point from the list."),
            "invalid_choice": _("Choose a pickup point from the list."),
        },
    )
    message = forms.CharField(
        label=_("Message to the point's team (optional)"),
        required=False,
        max_length=SharingRequest._meta.get_field("message").max_length,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example the day and hours of your distributions."),
    )

    def __init__(self, *args, hub, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = PickupPoint.objects.exclude(hubs=hub)


class TeamInviteForm(forms.Form):
    email = inputs.EmailField(
        label=_("E-mail address of the person to invite"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    coordinator = forms.BooleanField(
        label=_("Coordinator (may invite volunteers too)"), required=False
    )
