from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from foodhub import inputs, phones

from . import reauth


def clean_phone(value: str) -> str:
    """A phone number someone can be called on, in E.164 (``foodhub.phones``); or ""."""
    return phones.to_e164(value)


class SignupForm(forms.Form):
    """Extra fields asked at sign-up, on top of allauth's e-mail and password."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"].strip()
        user.phone = self.cleaned_data["phone"]
        user.save(update_fields=["full_name", "phone"])


class ProfileForm(inputs.ModelForm):
    """What "My account" lets a person change about themselves (the e-mail addresses and
    the password have allauth's own pages)."""

    class Meta:
        model = get_user_model()
        fields = ["full_name", "phone", "language"]
        labels = {
            "full_name": _("Name"),
            "phone": _("Phone"),
            "language": _("Language of the site and of our e-mails"),
        }
        help_texts = {
            "full_name": _("Given to the pickup point with your orders."),
            "phone": _("Optional: in case the pickup point needs to reach you."),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        self.fields["language"].required = True
        self.fields["language"].choices = settings.LANGUAGES
        if not self.instance.language:
            self.initial["language"] = settings.LANGUAGE_CODE
        if self.instance.phone:
            self.initial["phone"] = phones.display(self.instance.phone)

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Give your name."), code="required")
        return name

    def clean_phone(self):
        return clean_phone(self.cleaned_data["phone"])


class ReauthenticationForm(forms.Form):
    """Prove again who you are: your password, or, if you have none, the code we e-mailed
    you (foodhub.accounts.reauth)."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("The code we e-mailed you"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.by_password = request.user.has_usable_password()
        del self.fields["code" if self.by_password else "password"]

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.request.user.check_password(password):
            raise ValidationError(_("The password is not right."), code="wrong_password")
        return password

    def clean_code(self):
        code = self.cleaned_data["code"]
        if not reauth.check_code(self.request, code):
            raise ValidationError(
                _("This code is not right, or no longer valid: ask for a new one."),
                code="wrong_code",
            )
        return code
