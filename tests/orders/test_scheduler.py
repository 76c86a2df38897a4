"""The worker's tick with the clock moved: cycles open and close on time, once, and a
closing interrupted by a crash is finished by the next tick without e-mailing or charging
anyone twice."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from orders import outbox
from orders.checkout import services
from orders.emails import close_emails
from orders.models import (
    CycleDocument,
    Order,
    OrderCycle,
    OutgoingEmail,
    Payment,
    WorkerHeartbeat,
)
from orders.money import payments
from orders.planning import cycles
from orders.worker import scheduler
from tests import factories
from tests.orders.test_stripe_payments import FakeStripe


def _at(moment):
    return time_machine.travel(moment, tick=False)


def tick(moment):
    with _at(moment):
        scheduler.run_tick()


@pytest.fixture
def closing(hub, manager, producer, cycle, slot, offers):
    """The cycle with two households' orders (paid at pickup), closing in five days."""
    producer.email = "ferme@example.org"
    producer.save()
    orders = [
        services.place_order(
            cycle=cycle, slot=slot, items={offers["carrots"].pk: 2, offers["bread"].pk: 1},
            email="alex@example.org", full_name="Alex Voisin", notify=False,
        ),
        services.place_order(
            cycle=cycle, slot=slot, items={offers["apples"].pk: 1},
            email="sam@example.org", full_name="Sam Dupont", notify=False,
        ),
    ]  # fmt: skip
    return cycle, orders


def _kinds(messages):
    return sorted(
        "producer" if "ferme@example.org" in m.to else m.to[0].split("@")[0] for m in messages
    )


# Closing


def test_a_cycle_is_closed_once_its_closing_time_has_passed(closing, manager, mailoutbox):
    cycle, orders = closing
    tick(cycle.closes_at - timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is None and mailoutbox == []

    tick(cycle.closes_at + timedelta(seconds=30))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None and cycle.close_step == scheduler.CLOSE_DONE
    assert _kinds(mailoutbox) == ["alex", "producer", "sam"]

    producer_mail = next(m for m in mailoutbox if m.to == ["ferme@example.org"])
    assert producer_mail.cc == [manager.email]  # the hub manager in copy
    assert "Carottes — botte 1 kg: 2" in producer_mail.body
    [(name, pdf, mimetype)] = producer_mail.attachments
    assert mimetype == "application/pdf" and pdf.startswith(b"%PDF")
    assert name == f"pick-list-ferme-du-melantois-{cycle.pk}.pdf"

    alex = next(m for m in mailoutbox if m.to == ["alex@example.org"])
    assert orders[0].number in alex.subject
    # In French (the default): what was bought, the total, what is left to pay at pickup.
    assert "- 2 × Carottes — botte 1 kg (Ferme du Mélantois)\u00a0: 4,80\u00a0€" in alex.body
    assert "Total\u00a0: 9,60\u00a0€" in alex.body
    assert "Reste à payer au retrait\u00a0: 9,60\u00a0€" in alex.body
    assert "La Ruche de Fives" in alex.body

    # The packing sheets and crate labels are queued for the worker.
    assert sorted(cycle.documents.values_list("kind", flat=True)) == sorted(
        CycleDocument.Kind.values
    )

    # Ticks after that send nothing more.
    tick(cycle.closes_at + timedelta(minutes=1))
    tick(cycle.closes_at + timedelta(hours=2))
    assert len(mailoutbox) == 3
    assert OutgoingEmail.objects.filter(status="sent").count() == 3


def test_closing_skips_e_mails_of_orders_cancelled_meanwhile(closing, mailoutbox, monkeypatch):
    cycle, orders = closing
    # The e-mails are owed, then a manager cancels one order before they leave.
    after = cycle.closes_at + timedelta(seconds=1)
    with monkeypatch.context() as patched:
        patched.setattr(outbox, "send_due", lambda **kwargs: 0)
        tick(after)
    services.cancel_order(order=orders[1], force=True, notify=False)
    with _at(after):
        outbox.send_due()
    assert _kinds(mailoutbox) == ["alex", "producer"]


def test_a_cycle_without_orders_closes_quietly(cycle, mailoutbox):
    tick(cycle.closes_at + timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None
    assert mailoutbox == [] and not cycle.documents.exists()


def test_draft_and_cancelled_cycles_are_not_closed(hub, mailoutbox):
    draft = factories.OrderCycleFactory(hub=hub, status="draft")
    cancelled = factories.OrderCycleFactory(hub=hub, status="cancelled")
    tick(max(draft.closes_at, cancelled.closes_at) + timedelta(days=1))
    assert not OrderCycle.objects.filter(closed_at__isnull=False).exists()
    assert mailoutbox == []


# Re-arming: a later closing time


def test_moving_the_closing_time_later_re_arms_the_cycle(closing, manager, mailoutbox):
    cycle, _orders = closing
    first, later = cycle.closes_at, cycle.closes_at + timedelta(days=1)
    with _at(first - timedelta(hours=1)):
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=later)
    tick(first + timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is None and mailoutbox == []
    tick(later + timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None
    assert OutgoingEmail.objects.filter(key__startswith=f"close:{cycle.pk}:").count() == 3


def test_a_cycle_closed_by_the_clock_but_not_processed_can_still_reopen(closing, manager):
    cycle, orders = closing
    later = cycle.closes_at + timedelta(days=2)
    with _at(cycle.closes_at + timedelta(minutes=5)):  # the worker was down
        assert cycle.phase() == OrderCycle.Phase.CLOSED
        with pytest.raises(cycles.CycleError):  # a closing time still past reopens nothing
            cycles.update_cycle(
                cycle=cycle, by=manager, closes_at=cycle.closes_at + timedelta(minutes=1)
            )
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=later)
        cycle.refresh_from_db()
        assert cycle.phase() == OrderCycle.Phase.OPEN
        scheduler.run_tick()
    cycle.refresh_from_db()
    assert cycle.closed_at is None
    assert Order.objects.get(pk=orders[0].pk).can_change(later - timedelta(hours=1))


def test_a_processed_closing_keeps_its_dates(closing, manager):
    cycle, _orders = closing
    tick(cycle.closes_at + timedelta(seconds=1))
    with (
        _at(cycle.closes_at + timedelta(minutes=5)),
        pytest.raises(cycles.CycleError),
    ):
        cycles.update_cycle(cycle=cycle, by=manager, closes_at=cycle.closes_at + timedelta(days=1))


# Crash safety


def test_a_closing_interrupted_between_steps_is_finished_once(closing, mailoutbox, monkeypatch):
    cycle, _orders = closing

    def crash(cycle, now):
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patched:
        patched.setattr(scheduler, "_queue_documents", crash)
        tick(cycle.closes_at + timedelta(seconds=5))
    cycle.refresh_from_db()
    # The e-mails were owed (and sent) before the crash; the documents were not queued.
    assert cycle.closed_at is None and cycle.close_step == scheduler.OWE_EMAILS
    assert len(mailoutbox) == 3 and not cycle.documents.exists()

    tick(cycle.closes_at + timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None
    assert len(mailoutbox) == 3  # nobody e-mailed twice
    assert cycle.documents.count() == 2


def test_a_worker_that_died_holds_the_closing_until_its_lease_ends(closing, mailoutbox):
    cycle, _orders = closing
    start = cycle.closes_at + timedelta(seconds=5)
    with _at(start):
        # A worker claimed the closing, settled the payments, then died.
        assert scheduler._claim_close(cycle.pk, timezone.now())
        OrderCycle.objects.filter(pk=cycle.pk).update(close_step=scheduler.SETTLE_PAYMENTS)
    tick(start + timedelta(minutes=1))  # another worker: the lease is still held
    cycle.refresh_from_db()
    assert cycle.closed_at is None and mailoutbox == []
    tick(start + scheduler.CLOSE_LEASE + timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None and len(mailoutbox) == 3


def test_the_closing_is_claimed_by_one_worker_only(closing):
    cycle, _orders = closing
    now = cycle.closes_at + timedelta(seconds=1)
    assert scheduler._claim_close(cycle.pk, now) is not None
    assert scheduler._claim_close(cycle.pk, now) is None
    assert scheduler.close_cycle(cycle.pk, now=now) is False


def test_an_e_mail_dying_with_the_worker_mid_send_is_not_sent_again(closing, mailoutbox):
    cycle, _orders = closing
    with _at(cycle.closes_at + timedelta(seconds=1)):
        scheduler.close_cycle(cycle.pk)
    # A worker claimed one e-mail and died before marking it sent.
    row = OutgoingEmail.objects.order_by("pk").first()
    OutgoingEmail.objects.filter(pk=row.pk).update(status="sending", claim="dead")
    with _at(cycle.closes_at + timedelta(seconds=2)):
        outbox.send_due()
    assert len(mailoutbox) == 2
    assert row.to not in [m.to[0] for m in mailoutbox]


# Card payments at close


@pytest.fixture
def card_cycle(closing, fake_stripe_close, hub):
    hub.accepts_card_payments = True
    hub.save()
    return closing[0]


@pytest.fixture
def fake_stripe_close(monkeypatch, settings):
    from orders.money import stripe_api

    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"
    fake = FakeStripe()
    monkeypatch.setattr(stripe_api, "HTTP_CLIENT", fake)
    return fake


def _card_order(cycle, slot, offers, email):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=email,
        full_name=email.split("@")[0], payment_method="card", notify=False,
    )  # fmt: skip
    payments.start_card_payment(order)
    return order


def test_unpaid_card_orders_are_cancelled_at_close_and_lost_webhooks_recovered(
    card_cycle, slot, offers, fake_stripe_close, mailoutbox
):
    cycle = card_cycle
    unpaid = _card_order(cycle, slot, offers, "unpaid@example.org")
    paid = _card_order(cycle, slot, offers, "paid@example.org")
    # The household paid, but Stripe's webhook never reached us.
    fake_stripe_close.pay(paid.payments.get().stripe_payment_intent)
    bread = offers["bread"]
    bread.refresh_from_db()
    assert bread.allocated == 3

    tick(cycle.closes_at + timedelta(seconds=1))
    unpaid.refresh_from_db()
    paid.refresh_from_db()
    assert unpaid.status == Order.Status.CANCELLED
    assert paid.status == Order.Status.PLACED
    assert paid.payments.get().status == Payment.Status.SUCCEEDED
    assert unpaid.payments.get().status == Payment.Status.CANCELLED
    bread.refresh_from_db()
    assert bread.allocated == 2  # the unpaid order's bread went back
    # The unpaid order's household is told it was cancelled; it gets no final e-mail.
    told = OutgoingEmail.objects.filter(params__order_id=unpaid.pk)
    assert [(e.kind, e.params["kind"]) for e in told] == [("order", "cancelled")]
    # Its payment found at last, the paid order's household is sent its confirmation, then
    # its final order.
    confirmation, paid_mail = [m for m in mailoutbox if m.to == ["paid@example.org"]]
    assert paid.number in confirmation.subject and "retrait" in paid_mail.subject
    assert "nothing to pay" in paid_mail.body.lower() or "rien à payer" in paid_mail.body.lower()

    # A repeated closing step charges nobody and cancels nothing more.
    requests = len(fake_stripe_close.requests)
    OrderCycle.objects.filter(pk=cycle.pk).update(close_step=0, closed_at=None)
    tick(cycle.closes_at + timedelta(minutes=1))
    assert paid.payments.count() == 1 and unpaid.payments.count() == 1
    assert len(fake_stripe_close.posts("/v1/payment_intents")) == 2
    assert len(fake_stripe_close.requests) - requests <= 2  # lookups only


def test_stripe_unreachable_at_close_retries_then_goes_on(
    card_cycle, slot, offers, fake_stripe_close, mailoutbox, monkeypatch
):
    cycle = card_cycle
    order = _card_order(cycle, slot, offers, "late@example.org")

    def down(**kwargs):
        from orders.money import stripe_api

        raise stripe_api.StripeError("down")

    monkeypatch.setattr("orders.money.stripe_api.retrieve_payment_intent", down)
    tick(cycle.closes_at + timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.close_step == 0 and cycle.closed_at is None and mailoutbox == []
    assert cycle.close_lease_until is None  # released: the next tick tries again at once
    tick(cycle.closes_at + timedelta(minutes=2))
    cycle.refresh_from_db()
    assert cycle.closed_at is None
    # Half an hour after the closing started, it goes on without Stripe: the order that
    # could not be confirmed is cancelled (a late payment would be refunded).
    tick(cycle.close_started_at + scheduler.PAYMENT_RETRIES_FOR + timedelta(minutes=1))
    cycle.refresh_from_db()
    order.refresh_from_db()
    assert cycle.closed_at is not None
    assert order.status == Order.Status.CANCELLED
    assert order.events.filter(kind="cancelled").count() == 1


def test_a_worker_whose_lease_was_taken_over_stops(closing):
    cycle, _orders = closing
    now = cycle.closes_at + timedelta(seconds=1)
    lease = scheduler._claim_close(cycle.pk, now)
    closing_ = scheduler._Closing(OrderCycle.objects.get(pk=cycle.pk), lease)
    # The lease ran out and another worker took the closing.
    later = now + scheduler.CLOSE_LEASE + timedelta(seconds=1)
    assert scheduler._claim_close(cycle.pk, later) is not None
    with pytest.raises(scheduler.LeaseLost):
        closing_.step_done(scheduler.SETTLE_PAYMENTS)
    closing_.release()  # not ours any more: left as it is
    cycle.refresh_from_db()
    assert cycle.close_step == 0 and cycle.close_lease_until is not None


# Opening


def test_a_published_cycle_is_marked_opened_once(hub, mailoutbox):
    start = timezone.now() + timedelta(days=1)
    cycle = factories.OrderCycleFactory(
        hub=hub, opens_at=start, closes_at=start + timedelta(days=4)
    )
    tick(start - timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.opened_at is None
    tick(start + timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.opened_at is not None
    opened_at = cycle.opened_at
    tick(start + timedelta(minutes=1))
    cycle.refresh_from_db()
    assert cycle.opened_at == opened_at


# The heartbeat


def test_the_tick_beats(db):
    moment = timezone.now() + timedelta(hours=1)
    tick(moment)
    assert WorkerHeartbeat.last() == moment


def test_a_failing_step_does_not_stop_the_others(closing, monkeypatch, mailoutbox):
    cycle, _orders = closing

    def broken(now):
        raise RuntimeError("bug")

    monkeypatch.setattr(scheduler, "open_due_cycles", broken)
    tick(cycle.closes_at + timedelta(seconds=1))
    cycle.refresh_from_db()
    assert cycle.closed_at is not None


def test_producers_without_contact_address_are_e_mailed_at_their_members_at_once(
    closing, producer, producer_member, manager, mailoutbox
):
    other_member = factories.UserFactory(email="associee@example.org")
    factories.ProducerMembershipFactory(producer=producer, user=other_member)
    producer.email = ""
    producer.save()
    cycle = closing[0]
    assert close_emails.producer_recipients(producer) == sorted(
        [producer_member.email, other_member.email]
    )
    tick(cycle.closes_at + timedelta(seconds=1))
    [to_producer] = [m for m in mailoutbox if producer_member.email in m.to]
    assert sorted(to_producer.to) == sorted([producer_member.email, other_member.email])
    assert to_producer.cc == [manager.email]  # the manager gets it once


# What the manager sees


def test_the_cycle_page_shows_the_closing_and_its_e_mails(closing, manager, client):
    cycle, _orders = closing
    url = cycle.get_absolute_url()
    client.force_login(manager)
    with _at(cycle.closes_at + timedelta(seconds=1)):
        page = client.get(url).content.decode()
        assert "Waiting for the background worker" in page or "En attente du" in page
        scheduler.close_cycle(cycle.pk)
        OutgoingEmail.objects.filter(kind="cycle_closed_producer").update(status="failed")
        outbox.send_due()
        page = client.get(url).content.decode()
    assert close_emails.closing_emails(cycle) == {
        "sent": 2,
        "waiting": 0,
        "failed": 1,
        "unknown": 0,
    }
    assert "Waiting for the background worker" not in page and "En attente du" not in page


# Opening: the "shop is open" e-mail


def test_opening_e_mails_the_households_who_asked_once(hub, household, mailoutbox):
    from orders.models import OpeningAlert

    OpeningAlert.objects.create(user=household, hub=hub)
    other = factories.UserFactory()  # did not ask
    start = timezone.now() + timedelta(days=1)
    cycle = factories.OrderCycleFactory(
        hub=hub, opens_at=start, closes_at=start + timedelta(days=4)
    )
    tick(start - timedelta(minutes=1))
    assert mailoutbox == []
    tick(start + timedelta(seconds=30))
    tick(start + timedelta(minutes=1))
    assert [m.to for m in mailoutbox] == [[household.email]]
    assert hub.name in mailoutbox[0].subject and other.email
    assert OutgoingEmail.objects.get().key == f"open:{cycle.pk}:{household.pk}"


def test_a_cycle_that_opened_and_closed_while_the_worker_was_down_is_not_announced(
    hub, household, mailoutbox
):
    from orders.models import OpeningAlert

    OpeningAlert.objects.create(user=household, hub=hub)
    cycle = factories.OrderCycleFactory(hub=hub)
    tick(cycle.closes_at + timedelta(hours=1))
    cycle.refresh_from_db()
    assert cycle.opened_at is not None and cycle.closed_at is not None
    assert mailoutbox == []


# Reminders and the volunteer list


def paris(moment, hour, minute=0):
    """``moment``'s day at hour:minute, Europe/Paris."""
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_households_are_reminded_the_day_before_their_pickup(closing, mailoutbox):
    cycle, orders = closing
    tick(cycle.closes_at + timedelta(seconds=1))  # closed: 3 e-mails
    pickup = cycle.pickups.get()
    day_before = timezone.make_aware(
        timezone.datetime.combine(pickup.pickup_date - timedelta(days=1), scheduler.REMINDER_TIME)
    )
    tick(day_before - timedelta(minutes=1))
    assert len(mailoutbox) == 3
    tick(day_before)
    tick(day_before + timedelta(hours=3))
    reminders = mailoutbox[3:]
    assert sorted(m.to[0] for m in reminders) == ["alex@example.org", "sam@example.org"]
    assert any(name.endswith(".ics") for name, _c, _t in reminders[0].attachments)


def test_a_reminder_is_not_sent_for_an_order_cancelled_meanwhile(closing, mailoutbox):
    cycle, orders = closing
    tick(cycle.closes_at + timedelta(seconds=1))
    services.cancel_order(order=orders[1], force=True, notify=False)
    pickup = cycle.pickups.get()
    tick(paris(cycle.closes_at, 12) + timedelta(days=(pickup.pickup_date - timezone.localdate(
        cycle.closes_at)).days - 1))  # fmt: skip
    assert [m.to[0] for m in mailoutbox[3:]] == ["alex@example.org"]


def test_no_reminder_before_the_closing_is_processed(closing, mailoutbox, monkeypatch):
    cycle, _orders = closing
    pickup = cycle.pickups.get()
    # The worker could not close the cycle (Stripe down...): orders are not final yet.
    monkeypatch.setattr(scheduler, "close_due_cycles", lambda now: [])
    day_before = paris(cycle.closes_at, 11) + timedelta(
        days=(pickup.pickup_date - timezone.localdate(cycle.closes_at)).days - 1
    )
    tick(day_before)
    assert mailoutbox == []
    pickup.refresh_from_db()
    assert pickup.reminders_sent_at is None


def test_coordinators_get_the_volunteer_list_the_morning_of_distribution(
    closing, pickup_point, mailoutbox
):
    cycle, _orders = closing
    coordinator = factories.UserFactory(email="coord@example.org")
    factories.PickupPointMembershipFactory(
        pickup_point=pickup_point, user=coordinator, role="coordinator"
    )
    factories.PickupPointMembershipFactory(pickup_point=pickup_point)  # a volunteer
    tick(cycle.closes_at + timedelta(seconds=1))
    pickup = cycle.pickups.get()
    morning = timezone.make_aware(
        timezone.datetime.combine(pickup.pickup_date, scheduler.VOLUNTEER_LIST_TIME)
    )
    tick(morning - timedelta(minutes=1))
    assert not [m for m in mailoutbox if m.to == ["coord@example.org"]]
    tick(morning)
    tick(morning + timedelta(hours=1))
    lists = [m for m in mailoutbox if m.to == ["coord@example.org"]]
    assert len(lists) == 1
    assert "Alex Voisin" in lists[0].body and "Sam Dupont" in lists[0].body


# Weekly schedules


def test_the_tick_creates_the_cycles_of_weekly_schedules_once(hub, manager, pickup_point):
    from datetime import time

    from orders.models import SchedulePickup, ScheduleSlot, WeeklySchedule

    schedule = WeeklySchedule.objects.create(
        hub=hub, name="Panier", opens_weekday=4, opens_time=time(18), closes_weekday=1,
        closes_time=time(23, 59), weeks_ahead=2,
    )  # fmt: skip
    pickup = SchedulePickup.objects.create(schedule=schedule, pickup_point=pickup_point, weekday=3)
    ScheduleSlot.objects.create(pickup=pickup, starts_at=time(17), ends_at=time(19, 30))
    moment = timezone.now()
    tick(moment)
    tick(moment + timedelta(minutes=1))
    created = OrderCycle.objects.filter(schedule=schedule)
    assert created.count() in (2, 3)  # the next two or three Fridays, within two weeks
    assert len(set(created.values_list("schedule_week", flat=True))) == created.count()
    assert all(c.status == "draft" for c in created)
