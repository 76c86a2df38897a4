from django import forms
from django.contrib.auth import password_validation
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from foodhub import inputs
from producers.models import Producer

from .models import Hub


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
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        }
