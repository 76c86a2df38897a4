from django import forms
from django.utils.translation import gettext_lazy as _


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

    def signup(self, request, user):
        user.full_name = self.cleaned_data["full_name"].strip()
        user.phone = self.cleaned_data["phone"].strip()
        user.save(update_fields=["full_name", "phone"])
