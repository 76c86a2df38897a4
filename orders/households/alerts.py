"""A household's choice of the "the shop is open" e-mail of a hub, and the signed
one-click link that turns it off from the e-mail itself (no log-in needed)."""

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from orders.models import OpeningAlert

UNSUBSCRIBE_SALT = "orders.opening-alert.unsubscribe"


def has_opening_alert(user, hub) -> bool:
    return user.is_authenticated and OpeningAlert.objects.filter(user=user, hub=hub).exists()


def set_opening_alert(*, user, hub, on: bool) -> bool:
    """Turn the hub's "the shop is open" e-mail on or off for the user. Doing it twice
    (a double click, two tabs) changes nothing more. Returns whether it is now on."""
    if on:
        try:
            with transaction.atomic():
                OpeningAlert.objects.get_or_create(user=user, hub=hub)
        except IntegrityError:  # created meanwhile by a second click
            pass
    else:
        OpeningAlert.objects.filter(user=user, hub=hub).delete()
    return on


def unsubscribe_token(user_id: int, hub_id: int) -> str:
    """The secret of the one-click unsubscribe link: signed, so it cannot be made up for
    someone else, and without expiry, so an old e-mail's link still works."""
    return signing.dumps([user_id, hub_id], salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, int] | None:
    """(user id, hub id) from a link, or None when it was altered or is not ours."""
    try:
        user_id, hub_id = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not (isinstance(user_id, int) and isinstance(hub_id, int)):
        return None
    return user_id, hub_id


def unsubscribe_url(user_id: int, hub_id: int) -> str:
    return settings.SITE_URL + reverse(
        "orders:opening_alert_unsubscribe", args=[unsubscribe_token(user_id, hub_id)]
    )
