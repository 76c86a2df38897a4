"""allauth's sign-up form with a word on the optional password.

Kept apart from forms.py: allauth builds its SignupForm on top of forms.SignupForm
(ACCOUNT_SIGNUP_FORM_CLASS), so this module must be imported after that one.
"""

from allauth.account.forms import SignupForm as AllauthSignupForm
from django.utils.translation import gettext_lazy as _


class SignupForm(AllauthSignupForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "password1" in self.fields:
            self.fields["password1"].help_text = _(
                "The password is optional: without one, you log in with a code we send you "
                "by e-mail."
            )
