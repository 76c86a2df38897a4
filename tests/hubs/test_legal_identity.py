"""A hub's legal identity, written on its invoices: typed in the hub's settings, checked
where it enters (SIRET check digit, French VAT number, the one matching the other)."""

import pytest
from django.urls import reverse

from foodhub.hubs.forms import HubForm
from foodhub.hubs.models import Hub
from tests import bad_input

pytestmark = pytest.mark.django_db

VALID = {
    "legal_name": "SCIC Drive fermier de Lille", "legal_form": "SCIC SAS à capital variable",
    "legal_street": "12 rue des Arts", "legal_postcode": "59000", "legal_city": "Lille",
    "siret": "732 829 320 00074", "vat_number": "FR 44 732829320",
}  # fmt: skip


def _data(hub, **changes) -> dict:
    form = HubForm(instance=hub)
    data = {name: form[name].value() for name in form.fields}
    data = {name: ("" if value is None else value) for name, value in data.items()}
    for name in ("accepts_card_payments", "producers_see_names"):
        if not data[name]:
            data.pop(name)
    data.pop("logo", None)
    return data | VALID | changes


def _post(client, hub, **changes):
    return client.post(reverse("hubs:settings", args=[hub.slug]), _data(hub, **changes))


def test_the_legal_identity_is_saved_without_the_spaces_typed(client, hub, manager):
    client.force_login(manager)
    response = _post(client, hub)
    assert response.status_code == 302
    hub.refresh_from_db()
    assert (hub.siret, hub.vat_number) == ("73282932000074", "FR44732829320")
    assert hub.missing_legal_identity() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "73282932000075", "SIRET n’est pas valide"),  # a wrong check digit
        ("siret", "7328293200007", "SIRET n’est pas valide"),
        ("vat_number", "FR45732829320", "TVA français n’est pas valide"),
        ("vat_number", "DE123456789", "TVA français n’est pas valide"),
        ("vat_number", "FR40303265045", "pas celui du SIRET"),  # valid, another company’s
        ("legal_postcode", "590", "5 chiffres"),
    ],
)
def test_a_wrong_number_is_refused_with_a_clear_message(
    client, hub, manager, field, value, message
):
    client.force_login(manager)
    response = _post(client, hub, **{field: value})
    assert response.status_code == 400
    assert message in response.content.decode()
    hub.refresh_from_db()
    assert hub.siret == "" and hub.vat_number == ""


# Spaces only are no number at all (the field is left empty until invoices are issued).
@pytest.mark.parametrize("value", [value for value in bad_input.ALL if value.strip()])
@pytest.mark.parametrize("field", ["siret", "vat_number"])
def test_bad_input_in_the_numbers_is_refused_and_nothing_saved(hub, field, value):
    form = HubForm(_data(hub, **{field: value}), instance=hub)
    assert not form.is_valid()
    assert field in form.errors
    assert Hub.objects.get(pk=hub.pk).siret == ""


def test_missing_fields_are_named_in_the_readers_language(hub):
    assert hub.missing_legal_identity() == [
        "raison sociale", "adresse du siège", "code postal", "ville", "SIRET", "numéro de TVA",
    ]  # fmt: skip


def test_the_settings_page_has_the_legal_identity_section(client, hub, manager):
    client.force_login(manager)
    page = client.get(reverse("hubs:settings", args=[hub.slug])).content.decode()
    assert 'id="legal-identity"' in page and 'name="siret"' in page and 'name="vat_number"' in page
