import pytest
from django.urls import reverse

from producers.validators import validate_siret

pytestmark = pytest.mark.django_db

# A syntactically valid SIRET (Luhn checksum correct).
VALID_SIRET = "73282932000074"


def _data(**overrides):
    return {
        "name": "Ferme du Mélantois",
        "description": "Légumes de saison à Péronne-en-Mélantois.",
        "address": "12 rue du Marais",
        "postcode": "59273",
        "city": "Péronne-en-Mélantois",
        "siret": "732 829 320 00074",
        "email": "ferme@example.org",
        "phone": "03 20 00 00 00",
        "website": "",
        **overrides,
    }


def test_a_member_edits_the_producers_details(client, producer, producer_member):
    client.force_login(producer_member)
    response = client.post(reverse("producers:profile", args=[producer.slug]), _data())
    assert response.status_code == 302
    producer.refresh_from_db()
    assert producer.siret == VALID_SIRET
    assert producer.city == "Péronne-en-Mélantois"
    assert producer.slug == "ferme-du-melantois"  # the slug never changes here


@pytest.mark.parametrize(
    ("field", "value"),
    [("siret", "12345678901234"), ("siret", "1234"), ("email", "pas-un-email"), ("name", "")],
)
def test_bad_details_are_refused_and_nothing_changes(
    client, producer, producer_member, field, value
):
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:profile", args=[producer.slug]), _data(**{field: value})
    )
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    producer.refresh_from_db()
    assert producer.city == "Lille"


def test_siret_checksum():
    validate_siret(VALID_SIRET)
    validate_siret("35600000000048")  # La Poste: another rule, accepted
    with pytest.raises(Exception, match="pas valide"):
        validate_siret("73282932000075")


def test_a_manager_edits_the_hubs_details(client, hub, manager):
    client.force_login(manager)
    response = client.post(
        reverse("hubs:settings", args=[hub.slug]),
        {"name": "Drive fermier de Lille-Sud", "description": "Tous les jeudis.",
         "contact_email": "drive@example.org", "contact_phone": "", "address": "",
         "order_prefix": "LIL", "accepts_card_payments": "on", "stripe_account_id": "",
         "money_owed_back": "keep_as_credit"},
    )  # fmt: skip
    assert response.status_code == 302
    hub.refresh_from_db()
    assert (hub.name, hub.contact_email, hub.slug, hub.order_prefix) == (
        "Drive fermier de Lille-Sud", "drive@example.org", "lille", "LIL",
    )  # fmt: skip
    assert hub.accepts_card_payments


def test_an_order_prefix_is_capitals_or_digits(client, hub, manager):
    client.force_login(manager)
    response = client.post(
        reverse("hubs:settings", args=[hub.slug]),
        {"name": hub.name, "order_prefix": "lil-"},
    )
    assert response.status_code == 400
    hub.refresh_from_db()
    assert hub.order_prefix == "HUB"


def test_bad_hub_details_change_nothing(client, hub, manager):
    client.force_login(manager)
    response = client.post(
        reverse("hubs:settings", args=[hub.slug]), {"name": "", "contact_email": "nope"}
    )
    assert response.status_code == 400
    hub.refresh_from_db()
    assert hub.name == "Drive fermier de Lille"


def test_a_website_without_scheme_means_https(client, producer, producer_member):
    client.force_login(producer_member)
    client.post(reverse("producers:profile", args=[producer.slug]), _data(website="ferme.fr"))
    producer.refresh_from_db()
    assert producer.website == "https://ferme.fr"
