"""allauth's forms as Foodhub changes them: a word on the optional password at sign-up, and
a log-in code asked only for an address an e-mail can be sent to.

Kept apart from forms.py: allauth builds its SignupForm on top of forms.SignupForm
(ACCOUNT_SIGNUP_FORM_CLASS), so this module must be imported after that one.
"""

from allauth.account import forms as allauth_forms
from django.utils.translation import gettext_lazy as _

from foodhub import inputs


class SignupForm(allauth_forms.SignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password1" in self.fields:
            self.fields["password1"].help_text = _(
                "The password is optional: without one, you log in with a code we send you "
                "by e-mail."
            )


class RequestLoginCodeForm(allauth_forms.RequestLoginCodeForm):
    """allauth e-mails an address it does not know ("no account here"): the address is
    checked first, as every address typed in Foodhub (``inputs.check_email_address``)."""

    def clean_email(self) -> str:
        if email := self.cleaned_data.get("email"):
            inputs.check_email_address(email)
        return super().clean_email()
