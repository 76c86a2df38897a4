"""The relay's and the household's forms: clean values and plain messages; the services
check everything again."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from foodhub import inputs, phones
from orders.models import OrderingRight


class NewHouseholdForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name of the household"),
        max_length=150,
        help_text=_("As the pickup point will call it, for example « Mme Dupont »."),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=40,
        help_text=_("To tell the household about its order. For example 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    consent = forms.ChoiceField(
        label=_("The household agreed that you order for it"),
        choices=[
            (OrderingRight.Consent.IN_PERSON, _("in person")),
            (OrderingRight.Consent.BY_PHONE, _("by phone")),
        ],
        widget=forms.RadioSelect,
    )
    language = forms.ChoiceField(
        label=_("Language of its messages"), choices=settings.LANGUAGES, initial="fr"
    )
    sms_confirmation = forms.BooleanField(
        label=_("the confirmation of its order"), required=False, initial=True
    )
    sms_reminder = forms.BooleanField(
        label=_("a reminder the day before pickup"), required=False, initial=True
    )
    sms_shop_open = forms.BooleanField(label=_("a message when the shop opens"), required=False)

    def clean_full_name(self):
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise forms.ValidationError(_("Give the household's name."), code="required")
        return name

    def clean_phone(self):
        number = phones.to_e164(self.cleaned_data["phone"])
        if not number:
            raise forms.ValidationError(_("Give the household's phone number."), code="required")
        return number


class HouseholdSmsForm(forms.Form):
    """The SMS a relay chooses for a household it helps (``orders.sms.set_sms_choices``)."""

    confirmation = forms.BooleanField(label=_("the confirmation of its order"), required=False)
    reminder = forms.BooleanField(label=_("a reminder the day before pickup"), required=False)
    shop_open = forms.BooleanField(label=_("a message when the shop opens"), required=False)

    @classmethod
    def for_customer(cls, customer, data=None):
        return cls(
            data,
            initial={
                "confirmation": customer.sms_confirmation,
                "reminder": customer.sms_reminder,
                "shop_open": customer.sms_shop_open,
            },
        )


class GrantForm(forms.Form):
    """A household names a person who may order for it, at one of its hubs."""

    customer = forms.TypedChoiceField(label=_("At the hub"), coerce=int)
    email = inputs.EmailField(
        label=_("E-mail address of the person"),
        help_text=_("The person must have an account on this site, with this address."),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [(c.pk, c.hub.name) for c in customers]
        if len(customers) == 1:
            self.fields["customer"].initial = customers[0].pk
