"""The checkout queues its e-mails and card settlements for the worker; it never waits on
a mail server or on Stripe. (Tests run Huey in immediate mode; here the queue is caught.)"""

import pytest
from huey.contrib.djhuey import HUEY

from orders import tasks
from orders.services import cancel_order, place_order


@pytest.fixture
def queue(monkeypatch):
    """What is queued, instead of run at once."""
    queued = []
    monkeypatch.setattr(HUEY, "enqueue", queued.append)
    return queued


def test_placing_an_order_queues_its_confirmation_after_commit(
    cycle, slot, offers, queue, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = place_order(
            cycle=cycle,
            slot=slot,
            items={offers["carrots"].pk: 2},
            email="voisin@example.org",
            full_name="Alex Voisin",
        )
    assert queue == []  # nothing leaves before the order is committed
    for callback in callbacks:
        callback()

    [task] = queue
    assert task.name.endswith("send_order_email")
    assert task.kwargs == {"order_id": order.pk, "kind": "confirmation", "language": "fr"}
    assert mailoutbox == []  # the worker sends it, not the checkout

    HUEY.execute(task)  # what the worker does
    [mail] = mailoutbox
    assert order.number in mail.subject
    assert mail.to == ["voisin@example.org"]
    # The QR code to show at the pickup point (it opens the order for its volunteers),
    # and the pickup for the household's calendar.
    (name, content, mimetype), (ics_name, _ics, ics_type) = mail.attachments
    assert (name, mimetype) == (f"{order.number}.png", "image/png")
    assert content.startswith(b"\x89PNG") and f"{order.number}.png" in mail.body
    assert (ics_name, ics_type) == (f"{order.number}.ics", "text/calendar")


def test_a_cancelled_order_queues_its_e_mail_with_the_reason(
    cycle, slot, offers, queue, mailoutbox, django_capture_on_commit_callbacks
):
    order = place_order(
        cycle=cycle,
        slot=slot,
        items={offers["bread"].pk: 1},
        email="voisin@example.org",
        full_name="Alex Voisin",
        notify=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order=order, reason="Plus besoin")

    [task] = queue
    assert task.kwargs["kind"] == "cancelled" and task.kwargs["reason"] == "Plus besoin"
    HUEY.execute(task)
    assert "Plus besoin" in mailoutbox[0].body


def test_e_mail_and_settlement_tasks_are_retried():
    # A mail server or Stripe that is down now is tried again later.
    assert tasks.send_order_email.retries >= 1 and tasks.send_order_email.retry_delay > 0
    assert tasks.settle_card_payments.retries >= 1 and tasks.settle_card_payments.retry_delay > 0
