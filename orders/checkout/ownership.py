"""Who has proved that an order is theirs.

A typed e-mail address proves nothing: anyone can type anyone's. An order is shown to
  - the browser session that placed it, or that followed its secret link (the link was
    sent to the household's address, so following it proves the address);
  - a logged-in account the order belongs to, or whose address is the order's and verified.
Everyone else is told that an order exists and that its link went to the address.
"""

from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings

from orders.models import Order

SESSION_KEY = "proved_orders"
# A browser remembers its last orders only; older ones are reached through the account
# or the e-mailed link.
REMEMBERED = 20


def remember(request, order: Order, *, save_now: bool = False) -> None:
    """Note in the session that this browser has proved ``order``.

    With ``save_now`` the session is written at once (inside the caller's transaction,
    with the database session store): a second request of a double click, which read
    the session before this one placed the order, finds the proof in the store.
    """
    proved = request.session.get(SESSION_KEY, [])
    if proved[:1] != [order.pk]:  # already the latest: the session need not be written
        others = [pk for pk in proved if pk != order.pk]
        request.session[SESSION_KEY] = [order.pk, *others][:REMEMBERED]
    if save_now:
        request.session.save()


def _proved_in_store(request) -> list[int]:
    """The proofs as the session store has them now (another request may have added one)."""
    key = request.session.session_key
    if not key:
        return []
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)
    return list(store.get(SESSION_KEY, []))


def proved_order_in(request, cycle) -> Order | None:
    """The live order of ``cycle`` this browser placed (or opened by its link), if any."""
    proved = set(request.session.get(SESSION_KEY, [])) | set(_proved_in_store(request))
    if not proved:
        return None
    return Order.objects.live().filter(cycle=cycle, pk__in=proved).order_by("-pk").first()


def has_proved(request, order: Order) -> bool:
    user = request.user
    if user.is_authenticated:
        if order.user_id == user.pk:
            return True
        if (
            order.email == user.email.lower()
            and EmailAddress.objects.filter(
                user=user, email__iexact=order.email, verified=True
            ).exists()
        ):
            return True
    if order.pk in request.session.get(SESSION_KEY, []):
        return True
    if order.pk in _proved_in_store(request):
        remember(request, order)  # keep it when this request saves the session
        return True
    return False
