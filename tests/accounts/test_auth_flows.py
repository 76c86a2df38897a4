"""Sign-up, e-mail verification, log-in (password and e-mail code), reset, rate limit."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import translation

from tests.factories import DEFAULT_PASSWORD

User = get_user_model()
pytestmark = pytest.mark.django_db


def _signup(client, **overrides):
    data = {
        "email": "nouveau@example.org",
        "full_name": "Élise Nouvelle",
        "phone": "",
        "password1": "pommes-de-terre-42",
        "password2": "pommes-de-terre-42",
        **overrides,
    }
    return client.post(reverse("account_signup"), data)


def test_signup_page_is_in_french_and_asks_for_a_name(client):
    response = client.get(reverse("account_signup"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fr"' in html
    assert "Inscription" in html
    assert 'name="full_name"' in html


def test_signup_page_in_english_under_en(client):
    with translation.override("en"):
        url = reverse("account_signup")
    assert url == "/en/accounts/signup/"
    response = client.get(url)
    assert 'lang="en"' in response.content.decode()
    assert "Sign Up" in response.content.decode()


def test_signup_creates_the_account_and_sends_a_verification_email(client):
    response = _signup(client)
    assert response.status_code == 302
    user = User.objects.get(email="nouveau@example.org")
    assert user.full_name == "Élise Nouvelle"
    address = EmailAddress.objects.get(user=user)
    assert address.verified is False
    assert len(mail.outbox) == 1
    assert "nouveau@example.org" in mail.outbox[0].to
    assert mail.outbox[0].subject.startswith("[Foodhub] ")
    assert "Foodhub" in mail.outbox[0].body and "testserver !" not in mail.outbox[0].body


def test_verification_is_mandatory_before_logging_in(client):
    _signup(client)
    client.logout()
    response = client.post(
        reverse("account_login"),
        {"login": "nouveau@example.org", "password": "pommes-de-terre-42"},
    )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_verifying_the_email_logs_in_and_lands_on_my_spaces(client):
    _signup(client)
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(0).split("testserver", 1)[-1]
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="nouveau@example.org").verified
    assert client.get(reverse("spaces")).status_code == 200


def test_signup_with_bad_input_changes_nothing(client):
    response = _signup(client, password2="autre-chose-123", full_name="")
    assert response.status_code == 200
    assert not User.objects.filter(email="nouveau@example.org").exists()
    assert len(mail.outbox) == 0


def test_login_with_password_goes_to_my_spaces(client, household):
    response = client.post(
        reverse("account_login"), {"login": household.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("spaces")


def test_login_by_email_code(client, household):
    response = client.post(reverse("account_request_login_code"), {"email": household.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[0].body, re.MULTILINE).group(1)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == household.pk


def test_a_wrong_login_code_does_not_log_in(client, household):
    client.post(reverse("account_request_login_code"), {"email": household.email})
    response = client.post(reverse("account_confirm_login_code"), {"code": "ZZZZZZ"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(client, household):
    response = client.post(reverse("account_reset_password"), {"email": household.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_password_reset_link_sets_a_new_password(client, household):
    import re

    client.post(reverse("account_reset_password"), {"email": household.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)  # allauth hides the key behind a redirect
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new_password = "une-nouvelle-phrase-de-passe-2026"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.check_password(new_password)


def test_failed_logins_are_rate_limited(client, household):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": household.email, "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": household.email, "password": DEFAULT_PASSWORD}
    )
    # Even the right password is refused while the limit holds.
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_logout(client, household):
    client.force_login(household)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_signup_without_a_password_then_log_in_by_code(client):
    response = _signup(client, password1="", password2="")
    assert response.status_code == 302
    user = User.objects.get(email="nouveau@example.org")
    assert not user.has_usable_password()
    client.logout()
    mail.outbox.clear()
    client.post(reverse("account_request_login_code"), {"email": "nouveau@example.org"})
    code = re.search(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", mail.outbox[0].body, re.MULTILINE).group(1)
    client.post(reverse("account_confirm_login_code"), {"code": code})
    assert int(client.session["_auth_user_id"]) == user.pk
    # The code proved the address: it is now verified.
    assert EmailAddress.objects.get(user=user).verified


def test_signup_page_says_the_password_is_optional(client):
    html = client.get(reverse("account_signup")).content.decode()
    assert "Le mot de passe est facultatif" in html
