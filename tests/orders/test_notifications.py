"""The e-mails the scheduler owes: "the shop is open" (and the households' choice of it),
the pickup reminder, the coordinators' volunteer list.

The tick (``orders.scheduler``) claims each step and owes what these functions return;
here they are owed directly and sent with ``outbox.send_due`` as the worker would.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from orders import outbox
from orders.checkout.services import cancel_order, place_order, record_payment
from orders.emails import notifications
from orders.households import alerts
from orders.models import CyclePickupPoint, OpeningAlert, OrderCycle, OutgoingEmail
from pickup_points.models import PickupPointMembership
from tests import factories

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture(autouse=True)
def _monday_in_november():
    """Monday 23 November 2026, 11:00 in Paris. The ``cycle`` fixture opened on Saturday
    21, closes Saturday 28 at 13:00 (Paris) and its pickup is Monday 30, 17:00–19:30."""
    with time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), tick=False):
        yield


def send(emails):
    outbox.owe(emails)
    outbox.send_due()


def subscriber(hub, **kwargs):
    user = factories.UserFactory(**kwargs)
    OpeningAlert.objects.create(user=user, hub=hub)
    return user


def order_at(cycle, slot, offer, *, email="voisin@example.org", quantity=2, **kwargs):
    return place_order(
        cycle=cycle, slot=slot, items={offer.pk: quantity}, email=email,
        full_name=kwargs.pop("full_name", "Alex Voisin"), notify=False, **kwargs,
    )  # fmt: skip


@pytest.fixture
def last_week(hub, producer, category, offers):
    """The hub's previous cycle, which offered carrots only."""
    cycle = factories.OrderCycleFactory(
        hub=hub,
        name="Semaine 47",
        opens_at=timezone.now() - timedelta(days=9),
        closes_at=timezone.now() - timedelta(days=3),
    )
    factories.OfferFactory(cycle=cycle, variant=offers["carrots"].variant)
    return cycle


# The shop is open -----------------------------------------------------------------------


def test_opening_e_mails_go_to_the_hubs_active_subscribers(hub, cycle, household):
    OpeningAlert.objects.create(user=household, hub=hub)
    gone = subscriber(hub)
    gone.is_active = False
    gone.save()
    subscriber(factories.HubFactory())  # another hub's

    [email] = notifications.opening_emails(cycle)
    assert (email.key, email.kind, email.to) == (
        f"open:{cycle.pk}:{household.pk}",
        "shop_open",
        "foyer@example.org",
    )
    assert email.params == {"cycle_id": cycle.pk, "user_id": household.pk}
    assert email.language == "fr"


def test_owing_the_opening_twice_sends_once(hub, cycle, slot, household, mailoutbox):
    OpeningAlert.objects.create(user=household, hub=hub)
    subscriber(hub)
    outbox.owe(notifications.opening_emails(cycle))
    outbox.owe(notifications.opening_emails(cycle))  # a step repeated after a crash
    assert OutgoingEmail.objects.count() == 2
    outbox.send_due()
    assert len(mailoutbox) == 2
    assert {mail.to[0] for mail in mailoutbox} == set(
        OutgoingEmail.objects.values_list("to", flat=True)
    )


def test_opening_e_mail_in_english(hub, cycle, slot, offers, last_week, household, mailoutbox):
    cycle.message = "Les fraises arrivent !"
    cycle.save()
    OpeningAlert.objects.create(user=household, hub=hub)
    [email] = notifications.opening_emails(cycle)
    email.language = "en"
    send([email])

    [mail] = mailoutbox
    closes = timezone.localtime(cycle.closes_at)
    assert mail.subject == (
        f"The shop of Drive fermier de Lille is open until {closes:%A} {closes.day} "
        f"{closes:%B} {closes.year}, {closes:%H:%M}"
    )
    assert mail.to == ["foyer@example.org"]
    body = mail.body
    assert "Les fraises arrivent !" in body
    # New this week: apples and bread; carrots were offered last week.
    assert "What's new this week" in body
    assert "Pommes Jonagold — sac 2 kg (Ferme du Mélantois): €5.90" in body
    assert "Pain de campagne — 1 kg (Ferme du Mélantois): €4.80" in body
    assert "Carottes" not in body
    assert "La Ruche de Fives (Tiers-lieu de Fives), 1 rue de la Paix, Lille" in body
    assert "Monday 30 November 2026, 17:00–19:30" in body
    assert "http://localhost:8000/en/lille/" in body  # links keep the e-mail's language
    token = alerts.unsubscribe_token(household.pk, hub.pk)
    with translation.override("en"):
        unsubscribe = "http://localhost:8000" + reverse(
            "orders:opening_alert_unsubscribe", args=[token]
        )
    assert unsubscribe in body
    assert mail.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_opening_e_mail_in_french(hub, cycle, slot, offers, last_week, household, mailoutbox):
    OpeningAlert.objects.create(user=household, hub=hub)
    send(notifications.opening_emails(cycle))  # in the site's language, French

    [mail] = mailoutbox
    assert "Drive fermier de Lille" in mail.subject
    assert "samedi 28 novembre 2026 à 13:00" in mail.subject  # Paris time, French words
    assert "Pommes Jonagold — sac 2 kg (Ferme du Mélantois): 5,90\xa0€" in mail.body
    assert "lundi 30 novembre 2026, 17:00–19:30" in mail.body
    assert "Carottes" not in mail.body


def test_a_hubs_first_cycle_has_no_whats_new(hub, cycle, slot, offers, household, mailoutbox):
    OpeningAlert.objects.create(user=household, hub=hub)
    email = notifications.opening_emails(cycle)[0]
    email.language = "en"
    send([email])
    assert "What's new" not in mailoutbox[0].body
    assert "Carottes" not in mailoutbox[0].body


def test_whats_new_is_capped_and_says_how_many_more(hub, cycle, last_week, producer):
    for number in range(notifications.NEW_OFFERS_SHOWN + 3):
        factories.OfferFactory(
            cycle=cycle,
            variant__product__producer=producer,
            variant__product__name=f"Nouveau {number}",
        )
    shown, total = notifications.new_offers(cycle)
    assert len(shown) == notifications.NEW_OFFERS_SHOWN
    assert total == notifications.NEW_OFFERS_SHOWN + 3 + 2  # and apples and bread


def test_opening_e_mail_is_skipped_once_unsubscribed_or_the_cycle_cancelled(
    hub, cycle, slot, household, mailoutbox
):
    OpeningAlert.objects.create(user=household, hub=hub)
    other = subscriber(hub)
    outbox.owe(notifications.opening_emails(cycle))
    OpeningAlert.objects.filter(user=household).delete()
    outbox.send_due()
    assert [mail.to for mail in mailoutbox] == [[other.email]]
    assert OutgoingEmail.objects.get(to=household.email).error == "skipped"

    second = factories.OrderCycleFactory(hub=hub)
    outbox.owe(notifications.opening_emails(second))
    OrderCycle.objects.filter(pk=second.pk).update(status=OrderCycle.Status.CANCELLED)
    outbox.send_due()
    assert len(mailoutbox) == 1


def test_the_cycle_wide_part_is_computed_once_per_batch(
    hub, cycle, slot, offers, last_week, django_assert_max_num_queries
):
    users = [subscriber(hub) for _ in range(5)]
    build, load = outbox.BUILDERS["shop_open"]
    batch = [{"cycle_id": cycle.pk, "user_id": user.pk} for user in users]
    with django_assert_max_num_queries(2):  # the cycles, the subscriptions: for the batch
        loaded = load(batch)
    build(batch[0], loaded)  # computes the shared part
    for params in batch[1:]:
        with django_assert_max_num_queries(0):
            message = build(params, loaded)
        assert "Pommes Jonagold" in message.body


def test_a_changed_cycle_is_computed_again(hub, cycle, slot, offers, last_week):
    user = subscriber(hub)
    build, load = outbox.BUILDERS["shop_open"]
    params = {"cycle_id": cycle.pk, "user_id": user.pk}
    build(params, load([params]))
    cycle.message = "Nouveau message"
    cycle.save()
    assert "Nouveau message" in build(params, load([params])).body


# Turning the opening e-mail on and off ------------------------------------------------


def alert_url(hub):
    return reverse("orders:opening_alert", args=[hub.slug])


def test_anonymous_visitors_are_asked_to_log_in(client, hub, cycle, slot, offers):
    html = client.get(reverse("hub_public", args=[hub.slug])).content.decode()
    assert "/accounts/login/?next=/lille/" in html
    assert "aria-pressed" not in html
    response = client.post(alert_url(hub), {"on": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not OpeningAlert.objects.exists()


def test_a_household_turns_the_opening_e_mail_on_and_off(client, hub, cycle, slot, household):
    client.force_login(household)
    shop = reverse("hub_public", args=[hub.slug])
    assert 'aria-pressed="false"' in client.get(shop).content.decode()

    response = client.post(alert_url(hub), {"on": "1"})
    assert response.status_code == 302 and response["Location"] == shop
    assert OpeningAlert.objects.filter(user=household, hub=hub).exists()
    assert 'aria-pressed="true"' in client.get(shop).content.decode()
    client.post(alert_url(hub), {"on": "1"})  # a double click
    assert OpeningAlert.objects.filter(user=household).count() == 1

    client.post(alert_url(hub), {"on": "0"})
    assert not OpeningAlert.objects.exists()


def test_the_button_works_with_htmx(client, hub, household):
    client.force_login(household)
    response = client.post(alert_url(hub), {"on": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="opening-alert"')
    assert 'aria-pressed="true"' in html and 'name="on" value="0"' in html
    assert OpeningAlert.objects.filter(user=household, hub=hub).exists()


def test_the_button_is_on_the_closed_shop_page_too(client, hub, household):
    client.force_login(household)
    html = client.get(reverse("hub_public", args=[hub.slug])).content.decode()
    assert alert_url(hub) in html


def test_the_opening_e_mail_choice_is_post_only_with_csrf(client, hub, household):
    client.force_login(household)
    assert client.get(alert_url(hub), {"on": "1"}).status_code == 405
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(household)
    assert browser.post(alert_url(hub), {"on": "1"}).status_code == 403
    assert not OpeningAlert.objects.exists()


def test_a_bad_choice_changes_nothing(client, hub, household):
    OpeningAlert.objects.create(user=household, hub=hub)
    client.force_login(household)
    response = client.post(alert_url(hub), {"on": "maybe"}, follow=True)
    assert OpeningAlert.objects.filter(user=household).exists()
    assert len(list(response.context["messages"])) == 1
    assert (
        client.post(reverse("orders:opening_alert", args=["nowhere"]), {"on": "1"}).status_code
        == 404
    )


# Unsubscribing from the e-mail's link ------------------------------------------------


def unsubscribe_url(user, hub):
    token = alerts.unsubscribe_token(user.pk, hub.pk)
    return reverse("orders:opening_alert_unsubscribe", args=[token])


def test_the_link_asks_first_then_unsubscribes_without_logging_in(client, hub, household):
    OpeningAlert.objects.create(user=household, hub=hub)
    url = unsubscribe_url(household, hub)
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="unsubscribe-form"' in page.content.decode()
    assert OpeningAlert.objects.exists()  # a GET (a link preview) changes nothing

    done = client.post(url)
    assert done.status_code == 200
    assert not OpeningAlert.objects.exists()
    assert 'id="unsubscribe-form"' not in done.content.decode()
    assert client.post(url).status_code == 200  # a second time: nothing more to do


def test_mail_programs_can_unsubscribe_in_one_click(hub, household):
    """RFC 8058: the mail program POSTs to the link, without a CSRF token."""
    OpeningAlert.objects.create(user=household, hub=hub)
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(unsubscribe_url(household, hub), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not OpeningAlert.objects.exists()


@pytest.mark.parametrize(
    "make_token",
    [
        lambda user, hub: alerts.unsubscribe_token(user.pk, hub.pk)[:-3] + "abc",
        lambda user, hub: signing.dumps([user.pk, hub.pk], salt="another.purpose"),
        lambda user, hub: signing.dumps(["x", hub.pk], salt=alerts.UNSUBSCRIBE_SALT),
        lambda user, hub: alerts.unsubscribe_token(user.pk, 99999),
        lambda user, hub: "nonsense",
    ],
    ids=["tampered", "other-salt", "not-ids", "unknown-hub", "nonsense"],
)
def test_a_bad_link_says_so_and_changes_nothing(client, hub, household, make_token):
    OpeningAlert.objects.create(user=household, hub=hub)
    url = reverse("orders:opening_alert_unsubscribe", args=[make_token(household, hub)])
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 400
        assert 'role="alert"' in response.content.decode()
    assert OpeningAlert.objects.filter(user=household, hub=hub).exists()


def test_a_link_unsubscribes_only_its_own_hub(client, hub, household):
    other_hub = factories.HubFactory()
    OpeningAlert.objects.create(user=household, hub=hub)
    OpeningAlert.objects.create(user=household, hub=other_hub)
    client.post(unsubscribe_url(household, hub))
    assert list(OpeningAlert.objects.values_list("hub", flat=True)) == [other_hub.pk]


# The day before the pickup -----------------------------------------------------------


@pytest.fixture
def cycle_pickup(slot):
    return slot.cycle_pickup


def test_one_reminder_per_live_order_at_the_pickup(cycle, slot, offers, cycle_pickup):
    kept = order_at(cycle, slot, offers["bread"])
    cancel_order(
        order=order_at(cycle, slot, offers["bread"], email="b@example.org"),
        by=None,
        reason="",
        notify=False,
    )
    elsewhere = factories.PickupSlotFactory(cycle_pickup__cycle=cycle)
    order_at(cycle, elsewhere, offers["bread"], email="c@example.org")

    [email] = notifications.reminder_emails(cycle_pickup)
    assert email.key == f"remind:{kept.pk}:2026-11-30"
    assert (email.kind, email.to, email.params) == (
        "pickup_reminder",
        "voisin@example.org",
        {"order_id": kept.pk},
    )
    outbox.owe(notifications.reminder_emails(cycle_pickup))
    outbox.owe(notifications.reminder_emails(cycle_pickup))
    assert OutgoingEmail.objects.count() == 1


def test_reminder_in_english(cycle, slot, offers, cycle_pickup, pickup_point, mailoutbox):
    pickup_point.access_info = "Code 1234, 2e étage"
    pickup_point.save()
    order = order_at(cycle, slot, offers["carrots"])  # 2 × 2,40 €, to pay at pickup
    [email] = notifications.reminder_emails(cycle_pickup)
    email.language = "en"
    send([email])

    [mail] = mailoutbox
    assert order.number in mail.subject and "Monday 30 November" in mail.subject
    body = mail.body
    assert "Monday 30 November 2026, between 17:00 and 19:30" in body
    assert "La Ruche de Fives (Tiers-lieu de Fives)" in body
    assert "1 rue de la Paix, Lille" in body
    assert "Code 1234, 2e étage" in body
    assert "Total: €4.80" in body
    assert "Still to pay at pickup: €4.80" in body
    with translation.override("en"):
        order_url = reverse("orders:order_by_token", args=[order.access_token])
    assert "http://localhost:8000" + order_url in body
    [(name, content, mimetype)] = mail.attachments
    assert (name, mimetype) == (f"{order.number}.ics", "text/calendar")
    assert f"UID:order-{order.number}@localhost" in content


def test_reminder_in_french_says_what_is_left_to_pay(
    cycle, slot, offers, cycle_pickup, manager, mailoutbox
):
    order = order_at(cycle, slot, offers["carrots"], quantity=3)  # 7,20 €
    record_payment(order=order, method="cash", amount="2.20", by=manager)
    send(notifications.reminder_emails(cycle_pickup))

    [mail] = mailoutbox
    assert "lundi 30 novembre" in mail.subject
    assert "7,20\xa0€" in mail.body and "5,00\xa0€" in mail.body


def test_a_paid_order_has_nothing_to_pay(cycle, slot, offers, cycle_pickup, manager, mailoutbox):
    order = order_at(cycle, slot, offers["bread"])
    record_payment(order=order, method="transfer", amount=str(order.total), by=manager)
    [email] = notifications.reminder_emails(cycle_pickup)
    email.language = "en"
    send([email])
    assert "Already paid" in mailoutbox[0].body
    assert "Still to pay" not in mailoutbox[0].body


def test_a_reminder_for_an_order_cancelled_since_is_skipped(
    cycle, slot, offers, cycle_pickup, mailoutbox
):
    order = order_at(cycle, slot, offers["bread"])
    outbox.owe(notifications.reminder_emails(cycle_pickup))
    cancel_order(order=order, by=None, reason="", notify=False)
    outbox.send_due()
    assert mailoutbox == []
    assert OutgoingEmail.objects.get().error == "skipped"


# The morning of distribution ---------------------------------------------------------


@pytest.fixture
def team(pickup_point):
    def member(role, **kwargs):
        user = factories.UserFactory(**kwargs)
        factories.PickupPointMembershipFactory(pickup_point=pickup_point, user=user, role=role)
        return user

    return {
        "coordinator": member(
            "coordinator", full_name="Karim Coordination", phone="06 11 22 33 44"
        ),
        "coordinator2": member("coordinator", full_name="Inès Coordination"),
        "volunteer": member("volunteer", full_name="Zoé Bénévole"),
    }


def test_the_volunteer_list_goes_to_the_coordinators(cycle_pickup, team, pickup_point):
    other_point = factories.PickupPointFactory()
    factories.PickupPointMembershipFactory(pickup_point=other_point, role="coordinator")

    emails = notifications.volunteer_list_emails(cycle_pickup)
    assert sorted(email.to for email in emails) == sorted(
        [team["coordinator"].email, team["coordinator2"].email]
    )
    coordinator = team["coordinator"]
    [email] = [email for email in emails if email.to == coordinator.email]
    assert email.key == f"volunteers:{cycle_pickup.pk}:{coordinator.pk}"
    assert email.kind == "volunteer_list"
    assert email.params == {"cycle_pickup_id": cycle_pickup.pk, "user_id": coordinator.pk}
    outbox.owe(emails)
    outbox.owe(notifications.volunteer_list_emails(cycle_pickup))
    assert OutgoingEmail.objects.count() == 2


def _distribution_day(cycle, slot, offers, manager):
    """Three households in two slots; Zola paid."""
    late = factories.PickupSlotFactory(
        cycle_pickup=slot.cycle_pickup, starts_at=time(19, 30), ends_at=time(20, 30)
    )
    order_at(cycle, slot, offers["carrots"], email="a@example.org", full_name="Émile Zola")
    order_at(
        cycle, slot, offers["bread"], email="b@example.org", full_name="Anne Dupont", quantity=1
    )
    zola = order_at(
        cycle, late, offers["apples"], email="c@example.org", full_name="Denis Zola", quantity=1
    )
    record_payment(order=zola, method="cash", amount=str(zola.total), by=manager)
    return late


def test_volunteer_list_in_english(cycle, slot, offers, cycle_pickup, team, manager, mailoutbox):
    _distribution_day(cycle, slot, offers, manager)
    with time_machine.travel(datetime(2026, 11, 30, 6, 0, tzinfo=UTC), tick=False):
        emails = [
            e
            for e in notifications.volunteer_list_emails(cycle_pickup)
            if e.to == team["coordinator"].email
        ]
        emails[0].language = "en"
        send(emails)

    [mail] = mailoutbox
    assert mail.subject == "Distribution today at La Ruche de Fives: 3 households"
    body = mail.body
    assert "3 households, 4 items to hand over, €9.60 to collect" in body
    assert "- 17:00–19:30: 2 households" in body
    assert "- 19:30–20:30: 1 household" in body
    # By name (French order), with the order number, slot, items and what is due.
    assert body.index("Anne Dupont") < body.index("Denis Zola") < body.index("Émile Zola")
    assert "Anne Dupont — " in body and "1 item — €4.80 due" in body
    assert "Denis Zola — " in body and "1 item — paid" in body
    assert (
        "Zoé Bénévole (volunteer)" in body
        and "Karim Coordination (coordinator), 06 11 22 33 44" in body
    )
    with translation.override("en"):
        point_url = reverse("pickup_points:distribution", args=["ruche-fives", cycle.pk])
    assert "http://localhost:8000" + point_url in body
    names = [name for name, _content, _type in mail.attachments]
    assert names == ["ruche-fives-2026-11-30.csv", "ruche-fives-2026-11-30.pdf"]
    csv = mail.attachments[0][1]
    assert "Émile Zola" in csv and "Anne Dupont" in csv
    assert mail.attachments[1][1].startswith(b"%PDF")


def test_volunteer_list_in_french(cycle, slot, offers, cycle_pickup, team, manager, mailoutbox):
    _distribution_day(cycle, slot, offers, manager)
    emails = [
        e
        for e in notifications.volunteer_list_emails(cycle_pickup)
        if e.to == team["coordinator"].email
    ]
    send(emails)  # sent early (the day before): the subject gives the day
    [mail] = mailoutbox
    assert "lundi 30 novembre" in mail.subject
    assert "9,60\xa0€" in mail.body and "4,80\xa0€" in mail.body


def test_a_long_list_comes_as_csv_only(
    cycle, slot, offers, cycle_pickup, team, manager, mailoutbox, monkeypatch
):
    from pickup_points import notifications as point_notifications

    monkeypatch.setattr(point_notifications, "PDF_MAX_ROWS", 2)
    _distribution_day(cycle, slot, offers, manager)
    send(
        [
            e
            for e in notifications.volunteer_list_emails(cycle_pickup)
            if e.to == team["coordinator"].email
        ]
    )
    assert [name for name, *_ in mailoutbox[0].attachments] == ["ruche-fives-2026-11-30.csv"]


def test_a_coordinator_who_left_gets_no_list(cycle_pickup, team, mailoutbox):
    outbox.owe(notifications.volunteer_list_emails(cycle_pickup))
    PickupPointMembership.objects.filter(user=team["coordinator2"]).update(role="volunteer")
    outbox.send_due()
    assert [mail.to for mail in mailoutbox] == [[team["coordinator"].email]]


def test_no_list_for_a_past_pickup(cycle_pickup, team, mailoutbox):
    outbox.owe(notifications.volunteer_list_emails(cycle_pickup))
    CyclePickupPoint.objects.filter(pk=cycle_pickup.pk).update(
        pickup_date=timezone.localdate() - timedelta(days=1)
    )
    outbox.send_due()
    assert mailoutbox == []
    assert set(OutgoingEmail.objects.values_list("error", flat=True)) == {"skipped"}


def test_no_list_for_a_cancelled_cycle(cycle, cycle_pickup, team, mailoutbox):
    outbox.owe(notifications.volunteer_list_emails(cycle_pickup))
    OrderCycle.objects.filter(pk=cycle.pk).update(status=OrderCycle.Status.CANCELLED)
    outbox.send_due()
    assert mailoutbox == []
