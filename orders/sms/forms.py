"""The choice of SMS, one box per kind: on a household's account page, and for the relay
pages (``set_sms_choices`` does the work)."""

from django import forms
from django.utils.translation import gettext_lazy as _


class SmsChoicesForm(forms.Form):
    confirmation = forms.BooleanField(label=_("the confirmation of my order"), required=False)
    reminder = forms.BooleanField(label=_("a reminder the day before pickup"), required=False)
    shop_open = forms.BooleanField(label=_("a message when the shop opens"), required=False)

    @classmethod
    def for_customer(cls, customer, data=None, **kwargs):
        return cls(
            data,
            initial={
                "confirmation": customer.sms_confirmation,
                "reminder": customer.sms_reminder,
                "shop_open": customer.sms_shop_open,
            },
            **kwargs,
        )
