"""The pages of SMS: a household's choices in its account, the stop link of each SMS, the
provider's webhook (a reply STOP), and each hub's SMS per month."""

from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from orders import outbox
from orders.models import Customer, OutgoingEmail
from orders.sms import services
from orders.sms.backends import twilio
from tests import bad_input, factories

pytestmark = pytest.mark.django_db

MOBILE = "+33612345678"
TOKEN = "twilio-auth-token-for-tests"
WEBHOOK = "https://drive.example.org/sms/twilio/"


def customer_of(hub, *, user=None, phone="06 12 34 56 78", email="voisin@example.org", **kw):
    return Customer.objects.create(
        hub=hub, user=user, email=email, full_name="Alex Voisin", phone=phone, **kw
    )


# The household's choices -----------------------------------------------------------------


def test_my_sms_needs_an_account(client):
    response = client.get(reverse("orders:my_sms"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_a_household_chooses_its_sms_for_each_hub(client, hub, household):
    customer = customer_of(hub, user=household, email=household.email)
    other = customer_of(factories.HubFactory(name="Drive de Fives"), user=household,
                        email=household.email, phone="")  # fmt: skip
    client.force_login(household)
    page = client.get(reverse("orders:my_sms")).content.decode()
    assert hub.name in page and "06 12 34 56 78" in page
    assert "Drive de Fives" in page and f'name="customer" value="{other.pk}"' not in page

    response = client.post(
        reverse("orders:my_sms"),
        {"customer": customer.pk, f"c{customer.pk}-reminder": "on",
         f"c{customer.pk}-shop_open": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.sms_confirmation, customer.sms_reminder, customer.sms_shop_open) == (
        False, True, True,
    )  # fmt: skip
    assert customer.sms_chosen_by == household and customer.phone == MOBILE


def test_choosing_sms_again_after_stop_starts_them_again(client, hub, household):
    customer = customer_of(hub, user=household, email=household.email, sms_reminder=True,
                           phone=MOBILE, sms_stopped_at=timezone.now())  # fmt: skip
    client.force_login(household)
    assert "Vous avez arrêté nos SMS" in client.get(reverse("orders:my_sms")).content.decode()
    client.post(
        reverse("orders:my_sms"), {"customer": customer.pk, f"c{customer.pk}-reminder": "on"}
    )
    customer.refresh_from_db()
    assert customer.sms_stopped_at is None and customer.sms_reminder


def test_another_households_customer_cannot_be_changed(client, hub, household):
    stranger = customer_of(hub, email="autre@example.org")
    client.force_login(household)
    for value in [stranger.pk, "", "abc", *bad_input.HUGE_IDS, "1\x00"]:
        response = client.post(
            reverse("orders:my_sms"), {"customer": value, f"c{stranger.pk}-confirmation": "on"}
        )
        assert response.status_code == (400 if "\x00" in str(value) else 404), value
    stranger.refresh_from_db()
    assert not stranger.sms_confirmation and stranger.sms_chosen_at is None


def test_a_landline_cannot_choose_sms(client, hub, household):
    customer = customer_of(hub, user=household, email=household.email, phone="03 20 12 34 56")
    client.force_login(household)
    page = client.get(reverse("orders:my_sms")).content.decode()
    assert "n’est pas un numéro de portable" in page
    response = client.post(
        reverse("orders:my_sms"),
        {"customer": customer.pk, f"c{customer.pk}-confirmation": "on"},
    )
    assert response.status_code == 400
    assert "demandent un numéro de portable" in response.content.decode()
    customer.refresh_from_db()
    assert not customer.sms_confirmation


# The stop link ---------------------------------------------------------------------------


def test_the_stop_link_asks_first_then_stops_every_sms_to_the_number(client, hub):
    customer = customer_of(hub, phone=MOBILE, sms_confirmation=True)
    elsewhere = customer_of(factories.HubFactory(), phone=MOBILE, sms_reminder=True)
    url = reverse("sms_stop", args=[services.stop_token(customer.pk)])
    page = client.get(url)
    assert page.status_code == 200 and "06 12 34 56 78" in page.content.decode()
    assert not Customer.objects.exclude(sms_stopped_at=None).exists()  # a preview stops nothing

    response = client.post(url)
    assert response.status_code == 200
    assert "vous ne recevrez plus nos SMS" in response.content.decode()
    assert set(Customer.objects.exclude(sms_stopped_at=None).values_list("pk", flat=True)) == {
        customer.pk, elsewhere.pk,
    }  # fmt: skip
    stopped_at = Customer.objects.get(pk=customer.pk).sms_stopped_at
    client.post(url)  # twice: nothing more
    assert Customer.objects.get(pk=customer.pk).sms_stopped_at == stopped_at


def test_a_bad_stop_link_says_so_and_changes_nothing(client, hub):
    customer = customer_of(hub, phone=MOBILE, sms_confirmation=True)
    good = services.stop_token(customer.pk)
    other = customer_of(hub, phone="07 81 22 33 44", email="b@example.org")
    forged = [
        good[:-1],  # cut
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # altered
        f"{services.stop_token(other.pk).split('-')[0]}-{good.split('-', 1)[1]}",  # swapped
        "zzzzzzzzzzzzzzzzzzzz-abc", "٣-abcdefgh", "-", "abc", "x" * 300,
    ]  # fmt: skip
    for token in forged:
        response = client.post(reverse("sms_stop", args=[token]))
        assert response.status_code == 400, token
        assert "n’est pas valide" in response.content.decode()
    assert not Customer.objects.exclude(sms_stopped_at=None).exists()


def test_the_stop_token_is_short_and_names_its_customer(hub):
    customer = customer_of(hub, phone=MOBILE)
    token = services.stop_token(customer.pk)
    assert services.read_stop_token(token) == customer.pk
    assert len(services.stop_token(10**9)) <= 15


# The webhook -----------------------------------------------------------------------------


def post_reply(client, params, *, signature=None, token=TOKEN, path=None):
    path = path or reverse("sms_twilio")
    url = "https://drive.example.org" + path
    if signature is None:
        signature = twilio.signature(url, list(params.items()), token)
    return client.post(
        path, urlencode(params), content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )  # fmt: skip


REPLY = {"MessageSid": "SM0123", "AccountSid": "AC0123", "From": MOBILE, "To": "+33700000000",
         "Body": "STOP"}  # fmt: skip


@pytest.fixture
def signed():
    with override_settings(TWILIO_AUTH_TOKEN=TOKEN, SITE_URL="https://drive.example.org"):
        yield


def test_twilio_signs_as_documented():
    """Twilio's own example: the URL, the sorted parameters glued, HMAC-SHA1, base64."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}  # fmt: skip
    assert twilio.signature(url, list(params.items()), "12345") == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_a_signed_stop_stops_every_customer_with_the_number(client, hub, signed):
    first = customer_of(hub, phone=MOBILE, sms_confirmation=True)
    second = customer_of(factories.HubFactory(), phone=MOBILE, sms_shop_open=True)
    kept = customer_of(hub, phone="+33781223344", email="b@example.org", sms_reminder=True)
    response = post_reply(client, REPLY | {"Body": " stop "})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    assert set(Customer.objects.exclude(sms_stopped_at=None).values_list("pk", flat=True)) == {
        first.pk, second.pk,
    }  # fmt: skip
    assert kept.pk not in Customer.objects.exclude(sms_stopped_at=None).values_list("pk", flat=True)


def test_a_replayed_stop_changes_nothing_more(client, hub, signed):
    customer = customer_of(hub, phone=MOBILE, sms_confirmation=True)
    assert post_reply(client, REPLY).status_code == 200
    stopped_at = Customer.objects.get(pk=customer.pk).sms_stopped_at
    assert stopped_at is not None
    assert post_reply(client, REPLY).status_code == 200  # the same request, again
    assert Customer.objects.get(pk=customer.pk).sms_stopped_at == stopped_at


def test_forged_replies_are_refused_and_change_nothing(client, hub, signed):
    customer_of(hub, phone=MOBILE, sms_confirmation=True)
    good = twilio.signature(WEBHOOK, list(REPLY.items()), TOKEN)
    assert post_reply(client, REPLY, signature="").status_code == 403  # unsigned
    assert post_reply(client, REPLY, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert post_reply(client, REPLY, token="another-account").status_code == 403
    # Twilio's signature of another request: the body changed, or another number.
    assert post_reply(client, REPLY | {"From": "+33781223344"}, signature=good).status_code == 403
    assert post_reply(client, REPLY | {"Body": "STOP STOP"}, signature=good).status_code == 403
    assert post_reply(client, REPLY, signature="\x00").status_code == 403
    assert not Customer.objects.exclude(sms_stopped_at=None).exists()


def test_an_unknown_number_or_another_word_is_answered_200(client, hub, signed):
    customer = customer_of(hub, phone=MOBILE, sms_confirmation=True)
    assert post_reply(client, REPLY | {"From": "+33781223344"}).status_code == 200
    assert post_reply(client, REPLY | {"From": "not a number"}).status_code == 200
    assert post_reply(client, REPLY | {"Body": "Merci, à jeudi !"}).status_code == 200
    assert post_reply(client, {"Body": "STOP"}).status_code == 200  # no sender at all
    customer.refresh_from_db()
    assert customer.sms_stopped_at is None


def test_start_is_the_household_asking_again(client, hub, signed):
    customer = customer_of(hub, phone=MOBILE, sms_confirmation=True,
                           sms_stopped_at=timezone.now())  # fmt: skip
    assert post_reply(client, REPLY | {"Body": "START"}).status_code == 200
    customer.refresh_from_db()
    assert customer.sms_stopped_at is None and customer.sms_confirmation


def test_the_webhook_is_post_only_and_absent_without_twilio(client, signed):
    assert client.get(reverse("sms_twilio")).status_code == 405
    with override_settings(TWILIO_AUTH_TOKEN=""):
        assert post_reply(client, REPLY).status_code == 404


# Each hub's SMS per month ---------------------------------------------------------------


def sms_row(hub, n, *, at, status="sent", error=""):
    return OutgoingEmail.objects.create(
        key=f"sms:test:{hub.pk}:{n}", kind="sms_confirmation", channel="sms", to=MOBILE,
        hub=hub, status=status, error=error, created_at=at, sent_at=at,
    )  # fmt: skip


def test_a_hub_sees_its_sms_per_month(client, hub, manager, django_assert_max_num_queries):
    other = factories.HubFactory()
    october = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 1 November in Paris
    november = datetime(2026, 11, 12, 9, 0, tzinfo=UTC)
    september = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
    for n in range(3):
        sms_row(hub, f"nov{n}", at=november)
    sms_row(hub, "paris-nov", at=october)
    sms_row(hub, "skipped", at=november, error="skipped")  # never left
    sms_row(hub, "failed", at=november, status="failed")
    sms_row(hub, "sep", at=september)
    sms_row(other, "other", at=november)
    OutgoingEmail.objects.create(key="mail", kind="order", to="a@example.org", hub=hub,
                                 status="sent", created_at=november)  # fmt: skip
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("sms_per_month", args=[hub.slug]))
    assert response.status_code == 200
    months = response.context["months"]
    assert [(m["name"], m["sent"], m["failed"]) for m in months] == [
        ("novembre 2026", 4, 1), ("septembre 2026", 1, 0),
    ]  # fmt: skip


def test_the_sms_page_is_linked_from_the_dashboard(client, hub, manager):
    client.force_login(manager)
    page = client.get(reverse("hubs:dashboard", args=[hub.slug])).content.decode()
    assert reverse("sms_per_month", args=[hub.slug]) in page


def test_the_cycles_page_counts_its_sms(client, hub, cycle, manager):
    sms_row(hub, "a", at=timezone.now())
    sms_row(hub, "b", at=timezone.now(), status="failed")
    OutgoingEmail.objects.filter(key=f"sms:test:{hub.pk}:a").update(key=f"sms:{cycle.pk}:order:1")
    OutgoingEmail.objects.filter(key=f"sms:test:{hub.pk}:b").update(key=f"sms:{cycle.pk}:open:2")
    assert outbox.counts(services.cycle_prefix(cycle.pk))["sent"] == 1
    client.force_login(manager)
    page = client.get(reverse("cycles:detail", args=[hub.slug, cycle.pk])).content.decode()
    assert "1 SMS envoyé" in page and "SMS non partis : 1" in page
