"""The checkout owes its e-mails through the outbox and nudges the worker; it never waits on
a mail server or on Stripe. (Tests run Huey in immediate mode; here the queue is caught.)"""

import pytest
from huey.contrib.djhuey import HUEY

from orders import outbox
from orders.checkout.services import cancel_order, place_order, update_order
from orders.models import OrderEvent, OutgoingEmail
from orders.money import payments


@pytest.fixture
def queue(monkeypatch):
    """What is queued, instead of run at once."""
    queued = []
    monkeypatch.setattr(HUEY, "enqueue", queued.append)
    return queued


def _place(cycle, slot, offers, **kwargs):
    return place_order(
        cycle=cycle,
        slot=slot,
        items={offers["carrots"].pk: 2},
        email="voisin@example.org",
        full_name="Alex Voisin",
        **kwargs,
    )


def test_placing_an_order_owes_its_confirmation_and_nudges_the_worker_after_commit(
    cycle, slot, offers, queue, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = _place(cycle, slot, offers)
    # Owed in the order's own transaction, under the key of its "placed" event.
    placed = order.events.get(kind=OrderEvent.Kind.PLACED)
    [owed] = OutgoingEmail.objects.all()
    assert (owed.key, owed.kind, owed.to) == (
        f"order:{cycle.pk}:{placed.pk}",
        "order",
        "voisin@example.org",
    )
    assert (owed.params, owed.language) == ({"order_id": order.pk, "kind": "confirmation"}, "fr")
    assert queue == []  # nothing leaves before the order is committed
    for callback in callbacks:
        callback()

    [task] = queue
    assert task.name.endswith("send_emails")
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


def test_an_order_e_mail_is_sent_once_however_often_the_worker_is_nudged(
    cycle, slot, offers, queue, mailoutbox
):
    """The Huey task it replaces had retries and no key: a retry after a timeout sent the
    e-mail twice."""
    order = _place(cycle, slot, offers)

    for _nudge in range(3):
        outbox.send_emails.call_local()
    outbox.send_due()

    assert [m.subject for m in mailoutbox] == [f"Votre commande {order.number} chez {cycle.hub}"]
    assert OutgoingEmail.objects.get().status == "sent"


def test_a_change_and_a_cancellation_are_each_e_mailed_in_the_orders_language(
    cycle, slot, offers, queue, mailoutbox, settings
):
    from django.utils import translation

    with translation.override("en"):
        order = _place(cycle, slot, offers)
    # Changed and cancelled from pages in French: the e-mails follow the order's language.
    update_order(order=order, items={offers["carrots"].pk: 1})
    cancel_order(order=order, reason="Plus besoin")
    outbox.send_due()

    subjects = [m.subject for m in mailoutbox]
    assert subjects == [
        f"Your order {order.number} at {cycle.hub}",
        f"Your order {order.number} was changed",
        f"Your order {order.number} was cancelled",
    ]
    assert "Plus besoin" in mailoutbox[-1].body
    assert not mailoutbox[-1].attachments
    events = order.events.exclude(kind=OrderEvent.Kind.PAYMENT).order_by("pk")
    assert sorted(OutgoingEmail.objects.values_list("key", flat=True)) == sorted(
        f"order:{cycle.pk}:{event.pk}" for event in events
    )


def test_an_order_placed_quietly_owes_nothing(cycle, slot, offers, queue):
    _place(cycle, slot, offers, notify=False)
    assert not OutgoingEmail.objects.exists() and queue == []


def test_the_cycle_page_counts_the_e_mails_about_orders(
    client, cycle, slot, offers, manager, queue
):
    _place(cycle, slot, offers)
    client.force_login(manager)

    page = client.get(cycle.get_absolute_url()).content.decode()
    sent, waiting = "0 confirmation, modification ou annulation envoyée.", "En attente d’envoi"
    assert f"{sent} {waiting}\u00a0: 1." in page

    outbox.send_due()
    page = client.get(cycle.get_absolute_url()).content.decode()
    assert "1 confirmation, modification ou annulation envoyée." in page
    assert "En attente d’envoi" not in page


def test_settlement_tasks_are_retried():
    # Stripe that is down now is tried again later (e-mails are retried by the outbox).
    assert (
        payments.settle_card_payments.retries >= 1 and payments.settle_card_payments.retry_delay > 0
    )
