"""Background work of ordering, run by the Huey worker (``manage.py run_huey``).

The checkout only queues these, once its transaction has committed: a slow mail server or
Stripe outage never holds up, or fails, a household's order.
"""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from orders import outbox

logger = logging.getLogger(__name__)


@db_task()
def send_emails():
    """Send what the outbox owes now, rather than at the next tick: queued when a
    household's e-mail about its order is owed. Not retried: what fails waits in the
    outbox, which tries again (``orders.outbox``)."""
    outbox.send_due()


@db_task(retries=5, retry_delay=300)
def settle_card_payments(*, order_id: int):
    """Refund what an order was paid too much by card, or ask for the difference.

    A Stripe outage is logged and retried (five times, five minutes apart); the order
    meanwhile shows what is paid and what is due, so a manager can see it.
    """
    from orders.models import Order
    from orders.money import payments, stripe_api
    from orders.stock import OrderError

    try:
        payments.settle_card_difference(Order.objects.get(pk=order_id))
    except (stripe_api.StripeError, OrderError):
        logger.exception("Could not settle the card payments of order %s", order_id)
        raise


@db_task()
def build_cycle_document(document_id: int):
    """Build a big printed document of a cycle (``orders.printouts.documents.build_document``)."""
    from orders.printouts.documents import build_document

    build_document(document_id)


@db_periodic_task(crontab(minute="*"))
def tick():
    """Every minute: open and close the cycles that are due, place weekly baskets, create
    cycles from the weekly schedules, send reminders (``orders.scheduler``)."""
    from .scheduler import run_tick

    run_tick()
