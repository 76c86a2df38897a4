"""Making a household's record for it, naming who may order for it, withdrawing that right.

Ordering itself goes through the normal checkout (``orders.checkout.services.place_order``
with ``customer`` and ``placed_by``): same stock rules, same slots.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from foodhub import phones
from foodhub.hubs.models import Hub
from orders.models import Customer, OrderingRight

from . import selectors


class RelayError(Exception):
    """Something a relay or a household asked that cannot be done; the message says why."""


def _clean_name(full_name: str) -> str:
    name = " ".join(str(full_name).replace("\x00", "").split())
    if not name:
        raise RelayError(_("Give the household's name."))
    if len(name) > 150:
        raise RelayError(_("The name is too long (150 characters at most)."))
    return name


@transaction.atomic
def create_household(
    *, hub: Hub, by, full_name: str, phone: str, consent: str, language: str = "fr"
) -> Customer:
    """The record of a household with a name and a phone number only, made by a relay of
    ``hub`` who records how the household agreed (in person, by phone)."""
    if not selectors.relay_hubs(by).filter(pk=hub.pk).exists():
        raise RelayError(_("Only the relays of this hub can do that."))
    if consent not in (OrderingRight.Consent.IN_PERSON, OrderingRight.Consent.BY_PHONE):
        raise RelayError(_("Say how the household agreed: in person or by phone."))
    name = _clean_name(full_name)
    try:
        number = phones.to_e164(phone)
    except Exception as error:  # ValidationError: its message is the one to show
        raise RelayError(" ".join(getattr(error, "messages", [str(error)]))) from None
    if not number:
        raise RelayError(_("Give the household's phone number."))
    if language not in dict(settings.LANGUAGES):
        raise RelayError(_("Choose the language of its messages."))
    customer = Customer.objects.create(hub=hub, full_name=name, phone=number, language=language)
    OrderingRight.objects.create(
        customer=customer,
        user=by,
        origin=OrderingRight.Origin.RELAY,
        consent=consent,
        consent_recorded_by=by,
    )
    return customer


@transaction.atomic
def grant(*, customer: Customer, by, email: str) -> OrderingRight:
    """The household of ``customer`` (its account, ``by``) names the person with the
    account of ``email`` as someone who may order for it."""
    if customer.user_id is None or customer.user_id != by.pk:
        raise RelayError(_("Only the household itself can name someone."))
    email = str(email).strip().lower()
    person = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if person is None:
        raise RelayError(
            _("Nobody has an account with this address. Ask the person to create one first.")
        )
    if person.pk == by.pk:
        raise RelayError(_("You already order for yourself."))
    if OrderingRight.objects.filter(
        customer=customer, user=person, withdrawn_at__isnull=True
    ).exists():
        raise RelayError(_("This person can already order for you."))
    return OrderingRight.objects.create(
        customer=customer,
        user=person,
        origin=OrderingRight.Origin.GRANTED,
        consent=OrderingRight.Consent.ONLINE,
        consent_recorded_by=by,
    )


@transaction.atomic
def withdraw(*, right: OrderingRight, by) -> OrderingRight:
    """End a right to order for a household: the household withdraws it, or the person
    gives it up. Orders placed with it stay as they are."""
    right = OrderingRight.objects.select_for_update().select_related("customer").get(pk=right.pk)
    if by.pk not in (right.customer.user_id, right.user_id):
        raise RelayError(_("Only the household or that person can withdraw this right."))
    if right.withdrawn_at is None:
        right.withdrawn_at = timezone.now()
        right.withdrawn_by = by
        right.save(update_fields=["withdrawn_at", "withdrawn_by"])
    return right
