"""SMS to households: chosen per kind, owed next to the e-mails, sent once through the
outbox, short (one SMS of 160 GSM-7 characters), never to a number that said STOP."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone, translation

from orders import outbox
from orders.checkout.services import cancel_order, place_order
from orders.emails import notifications
from orders.models import Customer, OutgoingEmail
from orders.order_emails import owe_order_email
from orders.sms import gsm, services, texts
from orders.sms.backends import SmsMessage, locmem
from orders.worker import scheduler
from tests import factories

pytestmark = pytest.mark.django_db

MOBILE = "+33612345678"


@pytest.fixture(autouse=True)
def sms_outbox():
    locmem.outbox.clear()
    yield locmem.outbox
    locmem.outbox.clear()


@pytest.fixture(autouse=True)
def _monday_in_november():
    """Monday 23 November 2026, 11:00 in Paris; the cycle closes Saturday 28 at 13:00 and
    its pickup is Monday 30, 17:00–19:30."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def household_of(hub, *, phone="06 12 34 56 78", email="voisin@example.org", user=None,
                 language="", pk=None, **choices) -> Customer:  # fmt: skip
    customer = Customer.objects.create(
        pk=pk, hub=hub, email=email, full_name="Alex Voisin", phone=phone, user=user,
        language=language,
    )  # fmt: skip
    if choices:
        services.set_sms_choices(
            customer, **({"confirmation": False, "reminder": False, "shop_open": False}
                         | choices), by=user,
        )  # fmt: skip
        customer.refresh_from_db()
    return customer


def order_for(customer, cycle, slot, offer, **kwargs):
    return place_order(
        cycle=cycle, slot=slot, items={offer.pk: 1}, email=customer.email,
        full_name=customer.full_name, user=customer.user, **kwargs,
    )  # fmt: skip


def sms_rows():
    return OutgoingEmail.objects.filter(channel=OutgoingEmail.Channel.SMS).order_by("pk")


# GSM-7 lengths ------------------------------------------------------------------------


def test_gsm7_counts_the_extended_characters_twice():
    assert gsm.encoding("Retrait mardi à 17:00, é è ù") == "gsm7"
    assert gsm.length("12,50 €") == 8  # € is an escape and a character
    assert gsm.parts("a" * 160) == 1
    assert gsm.parts("a" * 161) == 2  # two parts of 153
    assert gsm.parts("a" * 306) == 2 and gsm.parts("a" * 307) == 3


def test_one_character_outside_gsm7_makes_the_sms_ucs2():
    text = "Fête " + "a" * 65
    assert gsm.encoding(text) == "ucs2" and gsm.length(text) == 70
    assert gsm.parts(text) == 1 and gsm.parts(text + "a") == 2
    assert gsm.parts("ç" * 134) == 2 and gsm.parts("ç" * 135) == 3  # parts of 67
    assert gsm.length("😀") == 2  # two UTF-16 units


def test_fit_writes_typography_and_missing_accents_in_gsm7():
    fitted = gsm.fit("L’Œuvre «\u00a0fête\u00a0» – 12,50\u202f€…")
    assert fitted == 'L\'OEuvre " fete " - 12,50 €...'
    assert gsm.fit("Épicerie à Lézennes") == "Épicerie à Lézennes"  # already GSM-7
    assert gsm.fit("Façon ç") == "Facon c"
    assert gsm.fit("Marché شارع") == "Marché شارع"  # no GSM-7 form: kept, UCS-2


# The texts ---------------------------------------------------------------------------

# The demo's longest names: a hub's, a pickup point's.
LONG_HUB = "Drive fermier de Villeneuve-d'Ascq"
LONG_POINT = "Ressourcerie Le Grand Atelier"


@pytest.fixture
def realistic(hub, cycle, slot, offers):
    hub.name = LONG_HUB
    hub.save()
    slot.cycle_pickup.pickup_point.name = LONG_POINT
    slot.cycle_pickup.pickup_point.save()
    return hub


def build_all(customer, order, cycle, language):
    params = {"customer_id": customer.pk, "phone": customer.phone}
    with translation.override(language):
        return [
            texts.build_confirmation({**params, "order_id": order.pk}),
            texts.build_reminder({**params, "order_id": order.pk}),
            texts.build_shop_open({**params, "cycle_id": cycle.pk}),
        ]


@pytest.mark.parametrize("language", ["fr", "en"])
@override_settings(SITE_URL="https://drive.example.org")
def test_each_sms_is_one_gsm7_sms_in_both_languages(realistic, cycle, slot, offers, language):
    """The three texts, rendered with the demo's longest names, a customer id of a big
    installation, an order number and the stop link of a real address: 160 GSM-7
    characters at most."""
    customer = household_of(realistic, confirmation=True, reminder=True, shop_open=True,
                            pk=987_654, language=language)  # fmt: skip
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    built = build_all(customer, order, cycle, language)
    for message in built:
        assert gsm.encoding(message.body) == "gsm7", message.body
        assert gsm.length(message.body) <= 160, (gsm.length(message.body), message.body)
        assert "drive.example.org/" in message.body and "https://" not in message.body
    assert order.number in built[0].body and LONG_POINT in built[0].body
    assert "17:00-19:30" in built[1].body
    expected = {"fr": "lundi 30 nov.", "en": "Monday 30 Nov."}[language]
    assert expected in built[1].body
    assert "sms/stop/l62u-" in built[2].body  # 987654 in base 36


@override_settings(SITE_URL="https://drive.example.org")
def test_the_hubs_name_is_said_when_it_fits(hub, cycle, slot, offers):
    hub.name = "Drive Fives"
    hub.save()
    customer = household_of(hub, confirmation=True, reminder=True, shop_open=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    for message in build_all(customer, order, cycle, "fr"):
        assert message.body.startswith("Drive Fives"), message.body
        assert gsm.parts(message.body) == 1


def test_our_words_are_written_in_gsm7_in_both_languages():
    """Only the names are fitted: the translated words themselves need no fitting."""
    assert len(texts.TEXTS) == 6
    for source in texts.TEXTS:
        for language in ("fr", "en"):
            with translation.override(language):
                text = str(source)
            assert gsm.is_gsm7(text), (language, text)
        with translation.override("fr"):
            assert str(source) != source._args[0], "not translated"


def test_a_name_outside_gsm7_is_fitted(hub, cycle, slot, offers):
    hub.name = "L’Épicerie du Pâtis"
    hub.save()
    # A small id, as on a fresh database: the stop link's length depends on it (PostgreSQL's
    # sequences are not reset between tests), and a longer link leaves the name out.
    customer = household_of(hub, pk=7, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    message = texts.build_confirmation(
        {"customer_id": customer.pk, "phone": MOBILE, "order_id": order.pk}
    )
    assert message.body.startswith("L'Épicerie du Patis")
    assert gsm.encoding(message.body) == "gsm7"


# Choosing ----------------------------------------------------------------------------


def test_choosing_sms_needs_a_mobile_number(hub, household):
    for phone in ("", "03 20 12 34 56", "not a number", "06 12", "+33 6 12 34 56 78 99"):
        customer = household_of(hub, phone=phone, email=f"{len(phone)}@example.org")
        with pytest.raises(ValidationError):
            services.set_sms_choices(
                customer, confirmation=True, reminder=False, shop_open=False, by=household
            )
        customer.refresh_from_db()
        assert not customer.sms_confirmation and customer.sms_chosen_at is None
    # Choosing none needs nothing.
    services.set_sms_choices(customer, confirmation=False, reminder=False, shop_open=False,
                             by=household)  # fmt: skip


def test_the_choice_records_who_made_it_and_keeps_the_number_in_e164(hub, household, manager):
    customer = household_of(hub, phone="06.12.34.56.78")
    services.set_sms_choices(customer, confirmation=True, reminder=True, shop_open=False,
                             by=manager)  # fmt: skip
    customer.refresh_from_db()
    assert (customer.sms_confirmation, customer.sms_reminder, customer.sms_shop_open) == (
        True, True, False,
    )  # fmt: skip
    assert customer.sms_chosen_by == manager and customer.sms_chosen_at == timezone.now()
    assert customer.phone == MOBILE


def test_only_the_household_itself_lifts_a_stop(hub, household, manager):
    customer = household_of(hub, user=household, confirmation=True)
    services.stop_number(MOBILE)
    relay = manager  # someone ordering for the household
    services.set_sms_choices(customer, confirmation=True, reminder=True, shop_open=True,
                             by=relay)  # fmt: skip
    customer.refresh_from_db()
    assert customer.sms_stopped_at is not None
    assert not services.wants(customer, "reminder")

    services.set_sms_choices(customer, confirmation=True, reminder=False, shop_open=False,
                             by=household)  # fmt: skip
    customer.refresh_from_db()
    assert customer.sms_stopped_at is None and services.wants(customer, "confirmation")


def test_a_relay_cannot_bring_back_a_number_stopped_at_another_hub(hub, manager):
    other = factories.HubFactory()
    household_of(other, confirmation=True)
    services.stop_number(MOBILE)
    here = household_of(hub, phone="06 12 34 56 78")  # same number, typed otherwise
    services.set_sms_choices(here, confirmation=True, reminder=False, shop_open=False,
                             by=manager)  # fmt: skip
    here.refresh_from_db()
    assert here.sms_stopped_at is not None


def test_stop_stops_every_customer_with_the_number_once(hub):
    first = household_of(hub, confirmation=True)
    second = household_of(factories.HubFactory(), email="autre@example.org", shop_open=True)
    other = household_of(hub, phone="07 81 00 00 01", email="x@example.org", reminder=True)
    assert services.stop_number(MOBILE) == 2
    assert services.stop_number(MOBILE) == 0  # again: nothing more
    stopped = set(Customer.objects.exclude(sms_stopped_at=None).values_list("pk", flat=True))
    assert stopped == {first.pk, second.pk}
    assert other.pk not in stopped


# Owing and sending -------------------------------------------------------------------


def test_the_confirmation_sms_is_owed_with_the_e_mail_and_sent_once(
    hub, cycle, slot, offers, mailoutbox, sms_outbox
):
    customer = household_of(hub, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"])
    outbox.send_due()  # the worker, nudged once the order commits
    [row] = sms_rows()
    assert (row.kind, row.to, row.hub_id, row.status) == ("sms_confirmation", MOBILE, hub.pk,
                                                          "sent")  # fmt: skip
    assert row.key.startswith(services.cycle_prefix(cycle.pk))
    [sms] = sms_outbox
    assert sms.to == [MOBILE] and order.number in sms.body
    assert "Commande" in sms.body  # French, the household's language
    assert len(mailoutbox) == 1  # the e-mail too
    outbox.send_due()
    assert len(sms_outbox) == 1


def test_no_sms_for_a_household_that_did_not_choose_it(hub, cycle, slot, offers, sms_outbox):
    customer = household_of(hub, reminder=True)  # not the confirmation
    order_for(customer, cycle, slot, offers["bread"])
    assert not sms_rows().exists() and sms_outbox == []


def test_no_sms_to_a_stopped_number_even_if_owed_before(hub, cycle, slot, offers, sms_outbox):
    customer = household_of(hub, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    [event] = order.events.all()
    outbox.owe(services.confirmation(order, event))
    services.stop_number(MOBILE)
    outbox.send_due()
    assert sms_outbox == []
    assert sms_rows().get().error == "skipped"
    outbox.owe(services.confirmation(order, event))  # owed again: still nothing
    assert services.confirmation(order, event) == []


def test_the_sms_is_in_the_households_language(hub, cycle, slot, offers, sms_outbox):
    customer = household_of(hub, confirmation=True)
    Customer.objects.filter(pk=customer.pk).update(language="en")
    order_for(customer, cycle, slot, offers["bread"])
    outbox.send_due()
    [sms] = sms_outbox
    assert "Order" in sms.body and "Pickup Monday 30 Nov." in sms.body
    assert "/en/sms/stop/" in sms.body


def test_the_accounts_language_is_used_when_the_customer_has_none(hub, cycle, slot, offers):
    user = factories.UserFactory(language="en")
    customer = household_of(hub, user=user, email=user.email, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    [owed] = services.confirmation(order, order.events.get())
    assert owed.language == "en" and owed.channel == "sms"


def test_reminders_go_to_those_who_chose_them(hub, cycle, slot, offers, sms_outbox):
    wanted = household_of(hub, reminder=True)
    order = order_for(wanted, cycle, slot, offers["bread"], notify=False)
    unwanted = household_of(hub, phone="07 81 22 33 44", email="b@example.org", shop_open=True)
    order_for(unwanted, cycle, slot, offers["bread"], notify=False)
    cancelled = household_of(hub, phone="07 81 22 33 55", email="c@example.org", reminder=True)
    cancel_order(order=order_for(cancelled, cycle, slot, offers["bread"], notify=False),
                 by=None, reason="", notify=False)  # fmt: skip

    owed = notifications.reminder_emails(slot.cycle_pickup)
    sms = [item for item in owed if item.channel == "sms"]
    assert [(item.kind, item.to, item.params["order_id"]) for item in sms] == [
        ("sms_reminder", MOBILE, order.pk)
    ]
    assert len([item for item in owed if item.channel == "email"]) == 2
    outbox.owe(owed)
    outbox.owe(notifications.reminder_emails(slot.cycle_pickup))  # the step again
    outbox.send_due()
    assert [m.to for m in sms_outbox] == [[MOBILE]]
    assert order.number in sms_outbox[0].body


def test_the_shop_is_open_sms_is_owed_when_the_tick_opens_the_cycle(hub, sms_outbox):
    chose = household_of(hub, shop_open=True)
    household_of(hub, phone="07 81 22 33 44", email="b@example.org", confirmation=True)
    household_of(factories.HubFactory(), phone="07 81 22 33 55", shop_open=True)
    cycle = factories.OrderCycleFactory(
        hub=hub, opens_at=timezone.now() - timedelta(minutes=1),
        closes_at=timezone.now() + timedelta(days=3),
    )  # fmt: skip
    scheduler.run_tick()
    scheduler.run_tick()  # a second tick owes nothing more
    [row] = sms_rows()
    assert (row.kind, row.key) == ("sms_shop_open", f"sms:{cycle.pk}:open:{chose.pk}")
    [sms] = sms_outbox
    assert hub.name in sms.body and f"/{hub.slug}/" in sms.body


def test_a_landline_gets_no_sms(hub, cycle, slot, offers):
    customer = household_of(hub, confirmation=True)
    Customer.objects.filter(pk=customer.pk).update(phone="+33320123456")  # changed since
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    assert services.confirmation(order, order.events.get()) == []


def test_an_sms_to_a_number_changed_since_is_skipped(hub, cycle, slot, offers, sms_outbox):
    customer = household_of(hub, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    outbox.owe(services.confirmation(order, order.events.get()))
    Customer.objects.filter(pk=customer.pk).update(phone="+33699999999")
    outbox.send_due()
    assert sms_outbox == []


# The worker: sent once, retried -------------------------------------------------------


class Flaky:
    """An SMS backend that fails the first ``failures`` sends."""

    failures = 1
    sent: list = []

    def __init__(self, **kwargs):
        pass

    def open(self):
        pass

    def close(self):
        pass

    def send_messages(self, messages):
        if Flaky.failures:
            Flaky.failures -= 1
            raise OSError("provider down")
        Flaky.sent.extend(messages)
        return len(messages)


def owe_one(hub, key="sms:1:test", kind="sms_confirmation"):
    customer = household_of(hub, confirmation=True)
    return customer, outbox.Owed(
        key=key, kind=kind, to=MOBILE, params={"customer_id": customer.pk, "phone": MOBILE},
        channel="sms", hub_id=hub.pk,
    )  # fmt: skip


@pytest.fixture
def hello_sms():
    kinds = dict(outbox.BUILDERS)

    @outbox.builder("test_sms")
    def build(params):
        return SmsMessage(f"Bonjour {params['customer_id']}")

    yield
    outbox.BUILDERS.clear()
    outbox.BUILDERS.update(kinds)


def test_a_failed_sms_is_retried_and_sent_once(hub, hello_sms, monkeypatch):
    monkeypatch.setattr(outbox, "CHANNELS", {**outbox.CHANNELS, "sms": Flaky})
    Flaky.failures, Flaky.sent = 1, []
    _customer, owed = owe_one(hub, kind="test_sms")
    outbox.owe([owed])
    assert outbox.send_due() == 0
    row = sms_rows().get()
    assert row.status == "pending" and "provider down" in row.error
    outbox.send_due()  # before its time: nothing
    assert Flaky.sent == []
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert outbox.send_due() == 1
        assert outbox.send_due() == 0
    assert len(Flaky.sent) == 1
    assert sms_rows().get().status == "sent"


def test_an_sms_a_dead_worker_was_sending_never_leaves_again(hub, hello_sms, sms_outbox):
    _customer, owed = owe_one(hub, kind="test_sms")
    outbox.owe([owed])
    sms_rows().update(status="sending", claim="dead-worker")
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        outbox.send_due()
    assert sms_outbox == []
    assert outbox.counts("sms:1:") == {"sent": 0, "waiting": 0, "failed": 0, "unknown": 1}


def test_an_unreachable_provider_leaves_the_sms_waiting(hub, hello_sms, monkeypatch):
    def down(**kwargs):
        raise OSError("no route")

    monkeypatch.setattr(outbox, "CHANNELS", {**outbox.CHANNELS, "sms": down})
    _customer, owed = owe_one(hub, kind="test_sms")
    outbox.owe([owed])
    outbox.send_due()
    row = sms_rows().get()
    assert (row.status, row.attempts) == ("pending", 0)


def test_e_mails_and_sms_leave_in_one_batch(hub, cycle, slot, offers, mailoutbox, sms_outbox):
    customer = household_of(hub, confirmation=True)
    order = order_for(customer, cycle, slot, offers["bread"], notify=False)
    owe_order_email(order, order.events.get(), "confirmation")
    assert OutgoingEmail.objects.count() == 2
    assert outbox.send_due() == 2
    assert len(mailoutbox) == 1 and len(sms_outbox) == 1


def test_a_bad_number_in_the_outbox_is_refused_not_sent(hub, hello_sms, sms_outbox):
    _customer, owed = owe_one(hub, kind="test_sms")
    owed.to = "0612345678"  # not E.164: refused by the backend, retried, never sent
    outbox.owe([owed])
    outbox.send_due()
    assert sms_outbox == []
    assert "E.164" in sms_rows().get().error
