from django import forms
from django.contrib.auth import password_validation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from stdnum.fr import siret as siret_number
from stdnum.fr import tva as vat_number

from foodhub import inputs
from producers.models import Producer

from .models import Hub, validate_siret, validate_vat_number


class InviteForm(forms.Form):
    email = inputs.EmailField(
        label=_("E-mail address of the person to invite"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label=_("Password (optional)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to log in with a code sent by e-mail instead."),
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_password(self):
        password = self.cleaned_data["password"]
        if password:
            password_validation.validate_password(password)
        return password


class AddProducerForm(inputs.ModelForm):
    class Meta:
        model = Producer
        fields = ["name", "slug", "email", "city"]
        help_texts = {"slug": _("Leave empty to build it from the name.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False

    def clean_slug(self):
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("name", ""))
        if not slug:
            raise forms.ValidationError(_("Enter a name made of letters or digits."))
        if Producer.objects.filter(slug=slug).exists():
            raise forms.ValidationError(_("This short name is already taken."))
        return slug


class HubForm(inputs.ModelForm):
    # Typed with spaces as printed ("732 829 320 00074"), stored without them.
    siret = forms.CharField(
        label=Hub._meta.get_field("siret").verbose_name,
        required=False,
        max_length=30,
        help_text=Hub._meta.get_field("siret").help_text,
    )
    vat_number = forms.CharField(
        label=Hub._meta.get_field("vat_number").verbose_name,
        required=False,
        max_length=30,
        help_text=Hub._meta.get_field("vat_number").help_text,
    )

    class Meta:
        model = Hub
        fields = [
            "name",
            "description",
            "contact_email",
            "contact_phone",
            "address",
            "logo",
            "order_prefix",
            "accepts_card_payments",
            "producers_see_names",
            "stripe_account_id",
            "money_owed_back",
            "legal_name",
            "legal_form",
            "legal_street",
            "legal_postcode",
            "legal_city",
            "siret",
            "vat_number",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }

    def clean_siret(self):
        value = self.cleaned_data["siret"]
        if value:
            validate_siret(value)
            value = siret_number.compact(value)
        return value

    def clean_vat_number(self):
        value = self.cleaned_data["vat_number"]
        if value:
            validate_vat_number(value)
            value = "FR" + vat_number.compact(value)  # compact() drops the country code
        return value

    def clean(self):
        cleaned = super().clean()
        siret, vat = cleaned.get("siret"), cleaned.get("vat_number")
        # A French VAT number is "FR", two check characters, then the SIREN: the SIRET's
        # first nine digits.
        if siret and vat and vat[4:] != siret[:9]:
            self.add_error(
                "vat_number",
                _("This VAT number is not the one of the SIRET given (its last 9 digits "
                  "are the SIREN, the SIRET's first 9)."),
            )  # fmt: skip
        return cleaned
