"""Paper order forms: printed for a cycle and a pickup point with stable line numbers, keyed
back in by a relay line by line, reviewed and placed for a household, never twice."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from pytest_django.asserts import assertInHTML as assert_in_html

from foodhub.hubs.models import Relay
from orders.models import (
    Customer,
    Order,
    OrderCycle,
    OrderingRight,
    PaperForm,
    PaperFormBatch,
    PaperFormLine,
)
from orders.models.paper_forms import check_digit
from orders.paper_forms import documents, services
from orders.printouts.documents import render_html
from orders.relays.services import create_household
from tests import bad_input, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_relay(db):
    user = factories.UserFactory(email="relais@roubaix.example.org")
    Relay.objects.create(hub=factories.HubFactory(name="Drive de Roubaix"), user=user)
    return user


@pytest.fixture
def paper_form(slot, offers, relay):
    [form] = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    return form


def key_url(form):
    return reverse("paper_forms:key", args=[form.cycle_pickup.cycle.hub.slug, form.code])


def numbers(cycle):
    return {line.offer.variant.product.name: line.number for line in services.form_lines(cycle)}


def post_keyed(client, form, lines, *, action="review", household=None, **extra):
    data = {"action": action, **{f"l{n}": q for n, q in lines.items()}}
    if household is not None:
        data["household"] = household.pk
    return client.post(key_url(form), data | extra)


# Line numbers


def test_lines_are_numbered_at_the_first_print_in_the_forms_order(paper_form, cycle):
    # One category: products in French order (Carottes, Pain, Pommes).
    assert numbers(cycle) == {"Carottes": 1, "Pain de campagne": 2, "Pommes Jonagold": 3}


def test_an_offer_added_later_gets_the_next_number_and_the_others_keep_theirs(
    paper_form, cycle, producer, category, slot, relay
):
    before = numbers(cycle)
    aubergine = factories.VariantFactory(
        product__producer=producer, product__name="Aubergine", product__category=category
    )
    factories.OfferFactory(cycle=cycle, variant=aubergine)
    services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    assert numbers(cycle) == before | {"Aubergine": 4}
    # The form printed before shows the lines it printed, not the one added since.
    lines = services.form_lines(cycle, printed_at=paper_form.printed_at)
    assert [line.number for line in lines] == [1, 2, 3]


def test_a_removed_offer_keeps_its_number_for_nobody_else(paper_form, cycle, offers, relay, slot):
    line = offers["apples"].paper_line
    Order.objects.all().delete()
    offers["apples"].delete()
    line.refresh_from_db()
    assert (line.offer, line.number) == (None, 3)
    factories.OfferFactory(cycle=cycle, variant=factories.VariantFactory())
    services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    assert sorted(PaperFormLine.objects.filter(cycle=cycle).values_list("number", flat=True)) == [
        1, 2, 3, 4,
    ]  # fmt: skip


def test_form_numbers_carry_a_check_digit(paper_form):
    pk = paper_form.pk
    assert paper_form.code == f"{pk}-{check_digit(pk)}"
    assert services.parse_form_number(paper_form.code) == pk
    assert services.parse_form_number(f" {pk} {check_digit(pk)} ") == pk
    assert services.parse_form_number(f"https://x/fr/hubs/h/paper-forms/{paper_form.code}/") == pk
    wrong = (check_digit(pk) + 1) % 10
    for text in [f"{pk}-{wrong}", "", "NaN", "9" * 30, "١٢-٣", "1\x00-2", "-1-1"]:
        assert services.parse_form_number(text) is None, text


# The printed form


def test_a_manager_prints_forms_each_with_its_number_and_qr_code(
    client, manager, hub, slot, offers
):
    client.force_login(manager)
    url = reverse("paper_forms:print", args=[hub.slug])
    response = client.post(url, {"cycle_pickup": slot.cycle_pickup_id, "copies": "2"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    forms = list(PaperForm.objects.order_by("pk"))
    assert len(forms) == 2
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for form in forms:
        assert form.code in text
    assert "Carottes" in text and "2,40" in text and "Semaine 48" in text
    assert len(reader.pages) == 2  # three lines: one page a copy


def test_more_forms_are_built_by_the_worker_and_downloaded_from_the_page(
    client, relay, hub, slot, offers, other_relay, django_capture_on_commit_callbacks
):
    client.force_login(relay)
    url = reverse("paper_forms:print", args=[hub.slug])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"cycle_pickup": slot.cycle_pickup_id, "copies": "3"})
    assert response.status_code == 302
    batch = PaperFormBatch.objects.get()  # built at once: the worker runs immediately in tests
    assert batch.status == PaperFormBatch.Status.DONE and batch.forms.count() == 3
    page = client.get(response.url).content.decode()
    download = reverse("paper_forms:batch", args=[hub.slug, batch.pk])
    assert download in page
    pdf = b"".join(client.get(download).streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert all(form.code in text for form in batch.forms.all())
    client.force_login(other_relay)
    assert client.get(download).status_code == 404


def test_the_form_shows_numbers_categories_prices_slots_and_the_closing_time(
    hub, cycle, slot, offers, relay, category
):
    forms = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    doc = documents.form_document(slot.cycle_pickup, forms)
    html = render_html("documents/paper_form.html", {"doc": doc})
    assert f"Bon n° {forms[0].code}" in html and "<svg" in html
    assert_in_html('<td class="line">1</td>', html)
    assert_in_html(f'<td colspan="4" class="category">{category.name}</td>', html)
    assert_in_html('<td class="num">2,40\xa0€</td>', html)
    assert "17:00–19:30" in html
    assert "Rendez ce bon avant le" in html and "Retrait : La Ruche" in html
    assert "Nom :" in html and "Téléphone :" in html
    assert "html { font-size: 13pt;" in html  # large print: nothing under 12 pt


def test_a_form_of_forty_lines_fits_on_two_pages(hub, cycle, slot, relay, producer, category):
    for n in range(40):
        variant = factories.VariantFactory(
            product__producer=producer, product__name=f"Produit {n:02d}",
            product__category=category, stock_quantity=100,
        )  # fmt: skip
        factories.OfferFactory(cycle=cycle, variant=variant)
    forms = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    reader = PdfReader(io.BytesIO(documents.paper_forms_pdf(slot.cycle_pickup, forms)))
    assert len(reader.pages) == 2


def test_forms_are_not_printed_for_a_closed_cycle_nor_too_many_at_once(slot, offers, relay):
    with pytest.raises(services.PaperFormError):
        services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=0)
    with pytest.raises(services.PaperFormError):
        services.print_forms(
            cycle_pickup=slot.cycle_pickup, by=relay, copies=services.MAX_COPIES + 1
        )
    OrderCycle.objects.filter(pk=slot.cycle_pickup.cycle_id).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(services.PaperFormError):
        services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    assert not PaperForm.objects.exists()


# Keying


def test_a_typed_number_opens_its_form_and_a_wrong_one_says_so(client, relay, hub, paper_form):
    client.force_login(relay)
    url = reverse("paper_forms:find", args=[hub.slug])
    response = client.get(url, {"number": paper_form.code})
    assert response.status_code == 302 and response.url == key_url(paper_form)
    wrong = f"{paper_form.pk}-{(check_digit(paper_form.pk) + 1) % 10}"
    response = client.get(url, {"number": wrong})
    assert response.status_code == 422
    assert "Aucun bon de ce drive ne porte ce numéro" in response.content.decode()


def test_the_keying_screen_follows_the_form_line_by_line(client, relay, paper_form):
    client.force_login(relay)
    page = client.get(key_url(paper_form)).content.decode()
    positions = [page.index(f'name="l{n}"') for n in (1, 2, 3)]
    assert positions == sorted(positions)
    assert 'data-available="10"' in page  # carrots: 10 in stock


def test_checking_counts_the_total_and_flags_shortages_without_javascript(
    client, relay, paper_form
):
    client.force_login(relay)
    response = post_keyed(client, paper_form, {1: "2", 3: "6"}, action="check", jump="2")
    page = response.content.decode()
    assert response.status_code == 422
    assert "Il n’en reste que 5." in page or "Il n'en reste que 5." in page
    assert "4,80" in page  # the total of what is right: 2 × 2,40
    assert 'id="l2"' in page and "autofocus" in page
    assert not Order.objects.exists()


def test_a_relay_keys_a_form_reviews_and_places_it_for_a_household_it_helps(
    client, relay, paper_form, dupont, slot, offers
):
    client.force_login(relay)
    response = post_keyed(client, paper_form, {1: "2", 2: "", 3: "1"}, household=dupont)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mme Dupont" in page and "10,70" in page  # 2 × 2,40 + 5,90
    assert not Order.objects.exists()
    response = post_keyed(
        client, paper_form, {1: "2", 3: "1"}, action="place", household=dupont, slot=slot.pk
    )
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.customer, order.placed_by, order.payment_method) == (dupont, relay, "at_pickup")
    assert {line.offer_id: line.quantity for line in order.lines.all()} == {
        offers["carrots"].pk: 2, offers["apples"].pk: 1,
    }  # fmt: skip
    assert order.total == Decimal("10.70")
    # The money invariant: what the lines come to, with the fee, is what was agreed.
    assert sum(line.final_total for line in order.lines.all()) + order.fee_total == order.total
    paper_form.refresh_from_db()
    assert paper_form.order == order
    follow = client.get(response.url)
    assert order.number in follow.content.decode()


def test_a_new_household_is_made_with_its_consent_only_when_the_order_is_placed(
    client, relay, paper_form, slot, hub
):
    client.force_login(relay)
    household = {"full_name": "M. Leroy", "phone": "06 98 76 54 32", "consent": "by_phone"}
    response = post_keyed(client, paper_form, {2: "1"}, **household)
    assert response.status_code == 200
    assert not Customer.objects.exists()
    response = post_keyed(client, paper_form, {2: "1"}, action="place", slot=slot.pk, **household)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.full_name, customer.phone, customer.hub) == ("M. Leroy", "+33698765432", hub)
    assert customer.ordering_rights.get().consent == OrderingRight.Consent.BY_PHONE
    assert Order.objects.get().customer == customer


def test_a_form_keyed_twice_is_noticed_and_not_placed_again(
    client, relay, paper_form, dupont, slot
):
    client.force_login(relay)
    post_keyed(client, paper_form, {1: "1"}, action="place", household=dupont, slot=slot.pk)
    order = Order.objects.get()
    page = client.get(key_url(paper_form)).content.decode()
    assert "Ce bon a déjà été saisi" in page and order.number in page
    other = create_household(
        hub=dupont.hub, by=relay, full_name="M. Martin", phone="0611111111", consent="in_person"
    )
    response = post_keyed(
        client, paper_form, {1: "1"}, action="place", household=other, slot=slot.pk
    )
    assert response.status_code == 422
    assert Order.objects.count() == 1
    with pytest.raises(services.FormAlreadyKeyed):
        services.place_keyed_order(
            paper_form=paper_form, by=relay, quantities={order.lines.get().offer_id: 1},
            slot=slot, customer=other,
        )  # fmt: skip
    assert Order.objects.count() == 1


def test_a_form_whose_order_was_cancelled_can_be_keyed_again(
    client, relay, paper_form, dupont, slot
):
    from orders.checkout.services import cancel_order

    client.force_login(relay)
    post_keyed(client, paper_form, {1: "1"}, action="place", household=dupont, slot=slot.pk)
    cancel_order(order=Order.objects.get(), by=relay)
    response = post_keyed(
        client, paper_form, {1: "1"}, action="place", household=dupont, slot=slot.pk
    )
    assert response.status_code == 302
    assert Order.objects.live().count() == 1


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ({1: "11"}, "Il n’en reste que 10."),
        ({3: "6"}, "Il n’en reste que 5."),
        ({9: "1"}, "La ligne 9 n’est pas sur ce bon"),
        ({"x": "1"}, "La ligne x n’est pas sur ce bon"),
        ({1: "1000"}, "1000, c’est trop"),
        ({1: "-1"}, "n’est pas une quantité"),
        ({1: "1.5"}, "n’est pas une quantité"),
        ({}, "Rien n’est saisi"),
    ]
    + [({1: value}, "n’est pas une quantité") for value in bad_input.NOT_NUMBERS[:6]]
    + [({1: value}, "n’est pas une quantité") for value in bad_input.UNICODE_DIGITS]
    + [({1: "9" * 30}, "n’est pas une quantité"), ({1: "１２"}, "n’est pas une quantité")],
)
def test_bad_keyed_lines_get_a_clear_message_and_change_nothing(
    client, relay, paper_form, dupont, slot, offers, lines, message
):
    client.force_login(relay)
    for action in ("review", "place"):
        response = post_keyed(
            client, paper_form, lines, action=action, household=dupont, slot=slot.pk
        )
        assert response.status_code == 422, action
        assert message.replace("’", "'") in response.content.decode().replace("’", "'"), action
    assert not Order.objects.exists()
    offers["carrots"].refresh_from_db()
    assert offers["carrots"].allocated == 0


def test_a_nul_character_is_refused_and_changes_nothing(client, relay, paper_form, dupont, slot):
    client.force_login(relay)
    for action in ("review", "place"):
        response = post_keyed(
            client, paper_form, {1: "1\x00"}, action=action, household=dupont, slot=slot.pk
        )
        assert response.status_code == 400
    assert not Order.objects.exists()


def test_a_closed_cycle_is_refused(client, relay, paper_form, dupont, slot):
    OrderCycle.objects.filter(pk=slot.cycle_pickup.cycle_id).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(relay)
    response = post_keyed(
        client, paper_form, {1: "1"}, action="place", household=dupont, slot=slot.pk
    )
    assert response.status_code == 422
    assert "n’est pas ouvert" in response.content.decode()
    assert not Order.objects.exists()


def test_a_household_of_another_hub_or_not_helped_is_refused(
    client, relay, paper_form, slot, hub, manager
):
    other_hub = factories.HubFactory(name="Ailleurs")
    other_hub_relay = factories.UserFactory()
    Relay.objects.create(hub=other_hub, user=other_hub_relay)
    stranger = create_household(
        hub=other_hub, by=other_hub_relay, full_name="X", phone="0612345678", consent="in_person"
    )
    # Of this hub, but helped by a manager, not by this relay.
    not_mine = create_household(
        hub=hub, by=manager, full_name="Y", phone="0612345679", consent="in_person"
    )
    client.force_login(relay)
    for household in (stranger, not_mine):
        response = post_keyed(
            client, paper_form, {1: "1"}, action="place", household=household, slot=slot.pk
        )
        assert response.status_code == 422
        assert "n’est pas un des foyers que vous aidez" in response.content.decode()
    assert not Order.objects.exists()
    with pytest.raises(services.RelayError):
        services.place_keyed_order(
            paper_form=paper_form, by=relay, quantities={paper_form.pk: 1}, slot=slot,
            customer=stranger,
        )  # fmt: skip


def test_a_slot_of_another_point_is_refused(client, relay, paper_form, dupont, cycle, hub):
    elsewhere = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(
            cycle=cycle, pickup_point=factories.PickupPointFactory(owner_hub=hub)
        )
    )
    client.force_login(relay)
    response = post_keyed(
        client, paper_form, {1: "1"}, action="place", household=dupont, slot=elsewhere.pk
    )
    assert response.status_code == 422
    assert not Order.objects.exists()


# Who may


def test_a_relay_of_another_hub_a_household_and_a_producer_get_404(
    client, other_relay, household, producer_member, other_hub_manager, paper_form, hub
):
    urls = [
        reverse("paper_forms:index", args=[hub.slug]),
        reverse("paper_forms:find", args=[hub.slug]) + f"?number={paper_form.code}",
        key_url(paper_form),
    ]
    for user in (other_relay, household, producer_member, other_hub_manager):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert client.post(key_url(paper_form), {"action": "review"}).status_code == 404
        assert client.post(reverse("paper_forms:print", args=[hub.slug])).status_code == 404
    client.logout()
    assert client.get(key_url(paper_form)).status_code == 302


def test_a_form_of_another_hub_is_not_found_under_mine(client, other_relay, paper_form):
    other_hub = Relay.objects.get(user=other_relay).hub
    client.force_login(other_relay)
    url = reverse("paper_forms:key", args=[other_hub.slug, paper_form.code])
    assert client.get(url).status_code == 404


# Query counts


def test_keying_posts_send_a_bounded_number_of_queries(
    client, relay, hub, cycle, slot, dupont, producer, category, django_assert_max_num_queries
):
    for n in range(40):
        variant = factories.VariantFactory(
            product__producer=producer, product__name=f"Produit {n:02d}",
            product__category=category, stock_quantity=100,
        )  # fmt: skip
        factories.OfferFactory(cycle=cycle, variant=variant)
    [form] = services.print_forms(cycle_pickup=slot.cycle_pickup, by=relay, copies=1)
    lines = dict.fromkeys(range(1, 41), "1")
    client.force_login(relay)
    client.get(key_url(form))
    with django_assert_max_num_queries(15):
        assert client.get(key_url(form)).status_code == 200
    with django_assert_max_num_queries(15):
        assert post_keyed(client, form, lines, household=dupont).status_code == 200
    with django_assert_max_num_queries(40):
        response = post_keyed(client, form, lines, action="place", household=dupont, slot=slot.pk)
        assert response.status_code == 302
    assert Order.objects.get().lines.count() == 40
