"""A household's own account: "My orders" from every page, a real "My account" page (name,
phone, language, e-mail addresses, password, its pages), and deleting an account that has
no password by a code e-mailed to it."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import translation

from foodhub.accounts import reauth
from foodhub.accounts.models import User
from orders.checkout import services
from orders.models import OpeningAlert, Order
from tests import bad_input, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def passwordless(db):
    """Someone who signed up without a password and logs in by e-mail code."""
    user = factories.UserFactory(email="sans-mot-de-passe@example.org", full_name="Léo Code")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


# "My orders" on every page -----------------------------------------------------------


def test_every_page_links_to_my_orders_once_logged_in(client, household, hub, offers, slot, cycle):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=household.email,
        full_name="Camille", user=household, notify=False,
    )  # fmt: skip
    pages = [
        reverse("home"),
        reverse("hub_public", args=[hub.slug]),
        reverse("basket", args=[hub.slug]),
        reverse("spaces"),
        reverse("my_account"),
        reverse("orders:my_data"),
        reverse("orders:order_detail", args=[order.number]),
        reverse("account_email"),
    ]
    link = f'href="{reverse("orders:my_orders")}"'
    for page in pages:
        assert link not in client.get(page).content.decode(), page  # logged out: no link
    client.force_login(household)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.content.decode()
        header = html.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
        assert link in header and "Mes commandes" in header, page


# The "My account" page ----------------------------------------------------------------


def test_my_account_needs_a_log_in(client):
    response = client.get(reverse("my_account"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_my_account_shows_details_addresses_password_and_my_pages(client, household, hub):
    OpeningAlert.objects.create(user=household, hub=hub)
    client.force_login(household)
    html = client.get(reverse("my_account")).content.decode()
    assert 'value="Camille Foyer"' in html  # name
    assert 'name="phone"' in html and 'name="language"' in html
    assert "foyer@example.org" in html and reverse("account_email") in html
    assert reverse("account_change_password") in html  # it has a password
    for name in ("orders:my_orders", "orders:weekly_list", "orders:my_calendar", "orders:my_data"):
        assert reverse(name) in html, name
    assert hub.name in html  # its "the shop is open" e-mails


def test_an_account_without_a_password_is_offered_to_set_one(client, passwordless):
    client.force_login(passwordless)
    html = client.get(reverse("my_account")).content.decode()
    assert reverse("account_set_password") in html
    assert reverse("account_change_password") not in html


def test_saving_my_details_and_language(client, household):
    client.force_login(household)
    response = client.post(
        reverse("my_account"),
        {"full_name": "  Camille   Durand ", "phone": "06 12 34 56 78", "language": "en"},
    )
    household.refresh_from_db()
    assert (household.full_name, household.phone, household.language) == (
        "Camille Durand",
        "+33612345678",  # stored in E.164 (foodhub.phones), shown back as typed
        "en",
    )
    # Back on the page, in the language just chosen.
    with translation.override("en"):
        assert response["Location"] == reverse("my_account") == "/en/accounts/me/"


@pytest.mark.parametrize(
    "phone", ["call me", "12", "+33 6 12 34 56 78 90 12 34", "06\x0012", "０６１２３４５６７８"]
)
def test_a_wrong_phone_number_is_refused_and_nothing_changes(client, household, phone):
    client.force_login(household)
    response = client.post(
        reverse("my_account"), {"full_name": "Autre Nom", "phone": phone, "language": "fr"}
    )
    assert response.status_code == 400
    household.refresh_from_db()
    assert household.full_name == "Camille Foyer" and household.phone == ""


def test_bad_input_in_my_details_is_a_message_never_a_server_error(client, household):
    client.force_login(household)
    for value in bad_input.ALL:
        for field in ("full_name", "phone", "language"):
            data = {"full_name": "Camille Foyer", "phone": "", "language": "fr", field: value}
            response = client.post(reverse("my_account"), data)
            assert response.status_code in (302, 400), (field, value)
            household.refresh_from_db()
            assert "\x00" not in household.full_name + household.phone + household.language


# Deleting an account without a password ----------------------------------------------


def _code_from(message) -> str:
    return re.search(r"^\s*(\d{6})\s*$", message.body, re.MULTILINE).group(1)


def _delete(client, code):
    return client.post(reverse("orders:delete_account"), {"code": code, "confirm": "yes"})


def test_an_account_without_a_password_is_deleted_with_a_code_emailed_to_it(
    client, passwordless, cycle, slot, offers
):
    order = services.place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 1}, email=passwordless.email,
        full_name="Léo Code", user=passwordless, notify=False,
    )  # fmt: skip
    client.force_login(passwordless)
    page = client.get(reverse("orders:my_data")).content.decode()
    assert 'type="password"' not in page  # it never had one
    assert reverse("send_reauthentication_code") in page

    response = client.post(
        reverse("send_reauthentication_code"), {"next": reverse("orders:my_data")}
    )
    assert response["Location"] == reverse("orders:my_data")
    [message] = mail.outbox
    assert message.to == [passwordless.email]
    code = _code_from(message)
    page = client.get(reverse("orders:my_data")).content.decode()
    assert 'name="code"' in page and 'autocomplete="one-time-code"' in page

    response = _delete(client, code)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert not User.objects.filter(pk=passwordless.pk).exists()
    order.refresh_from_db()
    assert order.user is None and order.status == Order.Status.CANCELLED


def test_a_wrong_or_expired_code_deletes_nothing(client, passwordless):
    client.force_login(passwordless)
    client.post(reverse("send_reauthentication_code"))
    code = _code_from(mail.outbox[-1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = _delete(client, wrong)
    assert response.status_code == 400
    assert "n’est pas le bon" in response.content.decode()
    assert _delete(client, "").status_code == 400
    with time_machine.travel(timedelta(seconds=reauth.CODE_SECONDS + 1)):
        assert _delete(client, code).status_code == 400  # too late
    assert User.objects.filter(pk=passwordless.pk).exists()


def test_too_many_wrong_codes_drop_the_code(client, passwordless):
    client.force_login(passwordless)
    client.post(reverse("send_reauthentication_code"))
    code = _code_from(mail.outbox[-1])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(reauth.ATTEMPTS):
        assert _delete(client, wrong).status_code == 400
    assert _delete(client, code).status_code == 400  # the right one, but too late
    assert User.objects.filter(pk=passwordless.pk).exists()


def test_the_code_needs_the_confirmation_box_and_is_not_resent_at_once(client, passwordless):
    client.force_login(passwordless)
    client.post(reverse("send_reauthentication_code"))
    client.post(reverse("send_reauthentication_code"))  # a double click
    assert len(mail.outbox) == 1
    code = _code_from(mail.outbox[0])
    client.post(reverse("orders:delete_account"), {"code": code})  # no confirmation
    assert User.objects.filter(pk=passwordless.pk).exists()
    assert _delete(client, code).status_code == 302  # the code was not used up
    assert not User.objects.filter(pk=passwordless.pk).exists()


def test_a_code_is_good_only_for_the_browser_and_account_it_was_sent_to(
    client, passwordless, household
):
    client.force_login(passwordless)
    client.post(reverse("send_reauthentication_code"))
    code = _code_from(mail.outbox[-1])
    other_browser = type(client)()
    other_browser.force_login(passwordless)
    assert _delete(other_browser, code).status_code == 400
    assert User.objects.filter(pk=passwordless.pk).exists()


@pytest.mark.parametrize("nxt", bad_input.BAD_NEXT)
def test_asking_for_a_code_goes_back_only_to_a_page_of_this_site(client, passwordless, nxt):
    client.force_login(passwordless)
    response = client.post(reverse("send_reauthentication_code"), {"next": nxt})
    if "\x00" in nxt:  # refused before any view (foodhub.middleware)
        assert response.status_code == 400
        return
    assert response.status_code == 302
    assert response["Location"] == reverse("my_account")


def test_sending_a_code_needs_a_log_in_and_a_post(client, passwordless):
    assert client.post(reverse("send_reauthentication_code")).status_code == 302
    assert not mail.outbox
    client.force_login(passwordless)
    assert client.get(reverse("send_reauthentication_code")).status_code == 405
