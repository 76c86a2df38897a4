"""The e-mails a household gets about its order: placed (or paid), changed, cancelled.

They go through the outbox (``orders.outbox``) like every other e-mail: owed in the same
transaction as the change, under a key made of the change's entry in the order's history
(``OrderEvent``), so a change is e-mailed once whoever retries what. Once the change has
committed, the worker is nudged (``outbox.send_emails``) and the household gets it within
seconds; if the queue is down, the next tick sends it. The message itself is built when it
leaves, in the order's language, by ``orders.emails.orders.build_order_email``.

A household that chose it also gets its confirmation by SMS (``orders.sms``), owed beside
the e-mail under the same event.
"""

from django.conf import settings
from django.db import transaction

from . import outbox
from .models import Order, OrderEvent
from .sms import services as sms

KIND = "order"
ORDER_LINK = "order_link"


def key_prefix(cycle_id: int) -> str:
    """What the keys of a cycle's order e-mails start with (the cycle's page counts them)."""
    return f"order:{cycle_id}:"


def owe_order_email(order: Order, event: OrderEvent, kind: str, **extra) -> None:
    """Owe the household the e-mail of ``kind`` ("confirmation", "changed", "cancelled")
    about ``event`` (and the SMS of a confirmation, if chosen); call it inside the
    transaction that writes the event."""
    outbox.owe(
        [
            outbox.Owed(
                key=f"{key_prefix(order.cycle_id)}{event.pk}",
                kind=KIND,
                to=order.email,
                params={"order_id": order.pk, "kind": kind, **extra},
                language=order.language or settings.LANGUAGE_CODE,
            ),
            *(sms.confirmation(order, event) if kind == "confirmation" else []),
        ]
    )
    # robust: the change is committed; a queue that is down must not turn it into an error.
    transaction.on_commit(outbox.send_emails, robust=True)


def owe_order_link_email(order: Order, *, key: str) -> None:
    """Owe the household the secret link of its order (asked again by someone checking
    out with its address), under ``key``."""
    outbox.owe(
        [
            outbox.Owed(
                key=key,
                kind=ORDER_LINK,
                to=order.email,
                params={"order_id": order.pk},
                language=order.language or settings.LANGUAGE_CODE,
            )
        ]
    )
    transaction.on_commit(outbox.send_emails, robust=True)
