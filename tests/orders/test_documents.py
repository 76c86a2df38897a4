"""The printed documents: their content (HTML), that the PDFs open, and who gets them."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from foodhub.text import french_sort_key
from orders.checkout.services import cancel_order, place_order
from orders.printouts import documents
from tests import factories


def pdf_pages(content: bytes) -> int:
    """Pages of a PDF, read back (so the file really opens)."""
    assert content.startswith(b"%PDF-")
    return len(PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def placed(cycle, slot, offers, pickup_point):
    """Three households' orders (and a cancelled one that no document shows)."""

    def order(name, email, items, **kwargs):
        return place_order(
            cycle=cycle, slot=slot, email=email, full_name=name, notify=False,
            items={offers[key].pk: qty for key, qty in items.items()}, **kwargs,
        )  # fmt: skip

    made = [
        order("Zoé Lefèvre", "zoe@example.org", {"carrots": 2, "bread": 1}, note="Allergie"),
        order("Élise Ängström-Bérénice de la Grande-Maison", "elise@example.org", {"apples": 3}),
        order("Bruno Petit", "bruno@example.org", {"carrots": 1}),
    ]
    cancel_order(order=order("Annulé", "x@example.org", {"bread": 1}))
    return made


def test_packing_sheets_group_orders_by_point_and_slot_in_name_order(cycle, placed, slot):
    [group] = documents.packing_sheets(cycle)
    assert (group.point, group.slot) == (slot.cycle_pickup.pickup_point, slot)
    assert [o.full_name for o in group.orders] == [
        "Bruno Petit", "Élise Ängström-Bérénice de la Grande-Maison", "Zoé Lefèvre",
    ]  # fmt: skip
    html = documents.render_html(
        "documents/packing_sheets.html", {"cycle": cycle, "groups": [group]}
    )
    assert html.count('class="order"') == 3
    assert "Allergie" in html and "Annulé" not in html
    # Every order is a block that page breaks never split.
    assert ".order { break-inside: avoid;" in html


def test_packing_sheets_pdf_opens_and_fits_a_page(cycle, placed):
    pdf = documents.render_pdf(
        "documents/packing_sheets.html",
        {"cycle": cycle, "groups": documents.packing_sheets(cycle)},
    )
    assert pdf_pages(pdf) == 1


def test_the_pick_list_splits_quantities_between_points(
    cycle, placed, producer, pickup_point, hub, offers
):
    other = factories.PickupPointFactory(name="Maison de quartier")
    other.hubs.add(hub)
    other_slot = factories.PickupSlotFactory(
        cycle_pickup=factories.CyclePickupPointFactory(cycle=cycle, pickup_point=other)
    )
    place_order(
        cycle=cycle, slot=other_slot, email="m@example.org", full_name="Marc", notify=False,
        items={offers["carrots"].pk: 4},
    )  # fmt: skip
    [carrots] = [
        row for row in documents.pick_list(cycle, producer, with_names=False)
        if row.product == offers["carrots"].variant.product.name
    ]  # fmt: skip
    assert carrots.per_point == {pickup_point.name: 3, "Maison de quartier": 4}
    assert carrots.total == 7


def test_the_pick_list_totals_per_variant_and_point(cycle, placed, producer, pickup_point):
    rows = documents.pick_list(cycle, producer, with_names=False)
    totals = {(row.product, row.total) for row in rows}
    carrots = next(row for row in rows if row.total == 3)
    assert carrots.per_point == {pickup_point.name: 3}
    assert carrots.per_household == []
    assert sum(row.total for row in rows) == 2 + 1 + 3 + 1  # cancelled order left out
    assert len(totals) == 3
    named = documents.pick_list(cycle, producer, with_names=True)
    names = {name for row in named for _n, name, _p, _q in row.per_household}
    assert names == {"Zoé Lefèvre", "Élise Ängström-Bérénice de la Grande-Maison", "Bruno Petit"}


def test_crate_labels_carry_the_order_and_a_qr_code_to_the_scan_page(cycle, placed):
    labels = documents.crate_labels(cycle)
    assert len(labels) == 3
    assert all(label.qr_svg.startswith("<svg") for label in labels)
    html = documents.render_html("documents/crate_labels.html", {"labels": labels})
    for order in placed:
        assert order.number in html
    pdf = documents.render_pdf("documents/crate_labels.html", {"labels": labels})
    assert pdf_pages(pdf) == 1


def test_the_receipt_shows_vat_per_rate_with_the_hub_fee(cycle, slot, offers):
    cycle.fee_percent, cycle.fee_fixed, cycle.fee_vat_rate = Decimal("10"), Decimal("0.50"), "20.0"
    cycle.save()
    order = place_order(
        cycle=cycle, slot=slot, email="r@example.org", full_name="Rémi Reçu", notify=False,
        items={offers["carrots"].pk: 2, offers["bread"].pk: 1},
    )  # fmt: skip
    doc = documents.receipt(order)
    vat = {row.rate: row for row in doc.amounts.vat_rows}
    assert set(vat) == {Decimal("5.5"), Decimal("20.0")}  # food, and the hub fee
    assert vat[Decimal("20.0")].base == doc.amounts.fee_total == order.fee_total > 0
    assert sum(row.base for row in vat.values()) == order.total
    html = documents.render_html("documents/receipt.html", {"doc": doc})
    assert "TVA par taux" in html and "Frais du drive" in html
    for row in vat.values():
        assert f"{row.vat}".replace(".", ",") in html
    assert f"{order.total}".replace(".", ",") in html


def test_csv_is_excel_friendly_and_formulas_are_inert(cycle, placed):
    cancel_order(order=placed[2])
    place_order(
        cycle=cycle, slot=placed[0].slot, email="f@example.org", full_name="=HYPERLINK(1)",
        items={placed[0].lines.first().offer_id: 1}, notify=False,
    )  # fmt: skip
    content = documents.packing_sheets_csv(cycle).decode()
    assert content.startswith("\ufeffpoint de retrait;créneau;commande")
    assert ";'=HYPERLINK(1);" in content


# Who gets what


def test_a_manager_downloads_every_document_of_the_hub(client, manager, hub, cycle, placed):
    client.force_login(manager)
    page = client.get(reverse("cycles:documents", args=[hub.slug, cycle.pk]))
    assert page.status_code == 200
    for name in ["packing_sheets", "crate_labels"]:
        url = reverse(f"cycles:{name}", args=[hub.slug, cycle.pk])
        pdf = client.get(url)
        assert pdf["Content-Type"] == "application/pdf" and pdf_pages(pdf.content) >= 1
        csv = client.get(url, {"format": "csv"})
        assert csv["Content-Type"].startswith("text/csv")
        assert placed[0].number in csv.content.decode()


@pytest.mark.parametrize("who", ["other_hub_manager", "household", "producer_member"])
def test_other_people_get_no_hub_documents(client, request, who, hub, cycle, placed, producer):
    client.force_login(request.getfixturevalue(who))
    urls = [
        reverse("cycles:documents", args=[hub.slug, cycle.pk]),
        reverse("cycles:packing_sheets", args=[hub.slug, cycle.pk]),
        reverse("cycles:crate_labels", args=[hub.slug, cycle.pk]),
        reverse("cycles:pick_list", args=[hub.slug, cycle.pk, producer.slug]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_a_producer_gets_its_own_pick_list_only(
    client, producer_member, other_producer_member, other_producer, producer, hub, cycle, placed
):
    client.force_login(producer_member)
    url = reverse("producer_pick_list", args=[producer.slug, cycle.pk])
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    assert "Zoé" not in response.content.decode()  # the hub keeps names private
    hub.producers_see_names = True
    hub.save()
    assert "Zoé Lefèvre" in client.get(url, {"format": "csv"}).content.decode()
    assert pdf_pages(client.get(url).content) >= 1
    listing = client.get(reverse("producer_pick_lists", args=[producer.slug]))
    assert cycle.name in listing.content.decode()

    client.force_login(other_producer_member)
    assert client.get(url).status_code == 404
    # Its own slug, but a cycle that offers nothing of it.
    mine = reverse("producer_pick_list", args=[other_producer.slug, cycle.pk])
    assert client.get(mine).status_code == 404


def test_a_household_downloads_its_own_receipt_only(client, household, cycle, slot, offers):
    order = place_order(
        cycle=cycle, slot=slot, items={offers["bread"].pk: 2}, email=household.email,
        full_name="Camille Foyer", user=household, notify=False,
    )  # fmt: skip
    client.force_login(household)
    my_orders = client.get(reverse("orders:my_orders")).content.decode()
    assert reverse("orders:receipt", args=[order.number]) in my_orders
    response = client.get(reverse("orders:receipt", args=[order.number]))
    assert response.status_code == 200 and pdf_pages(response.content) == 1
    client.logout()
    assert (
        client.get(reverse("orders:receipt_by_token", args=[order.access_token])).status_code == 200
    )
    stranger = factories.UserFactory()
    client.force_login(stranger)
    assert client.get(reverse("orders:receipt", args=[order.number])).status_code == 404
    assert client.get(reverse("orders:receipt_by_token", args=["wrong-token"])).status_code == 404


# Big documents, built in the background


def test_a_big_document_is_built_in_chunks_with_its_progress(cycle, placed, manager):
    from orders.models import CycleDocument

    document = CycleDocument.objects.create(
        cycle=cycle, kind=CycleDocument.Kind.PACKING_SHEETS, requested_by=manager
    )

    built = documents.build_document(document.pk, chunk_orders=2)

    assert built.status == CycleDocument.Status.DONE
    assert (built.chunks_done, built.chunks_total, built.orders, built.percent) == (2, 2, 3, 100)
    reader = PdfReader(built.file.open("rb"))
    text = " ".join(page.extract_text() for page in reader.pages)
    by_name = sorted(placed, key=lambda order: french_sort_key(order.full_name))
    positions = [text.index(order.number) for order in by_name]
    assert positions == sorted(positions)  # packing order kept across chunks
    assert settings_private_root() in built.file.path  # never under MEDIA_ROOT
    # Claimed once: building again does nothing.
    assert documents.build_document(document.pk).finished_at == built.finished_at


def settings_private_root() -> str:
    from django.core.files.storage import storages

    return str(storages["private"].location)


def test_a_failed_build_is_recorded(cycle, placed, monkeypatch):
    from orders.models import CycleDocument

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(documents, "render_chunk", broken)
    document = CycleDocument.objects.create(cycle=cycle, kind=CycleDocument.Kind.CRATE_LABELS)
    with pytest.raises(RuntimeError):
        documents.build_document(document.pk)
    document.refresh_from_db()
    assert document.status == CycleDocument.Status.FAILED and "disk full" in document.error


def test_a_big_cycle_prepares_its_pdf_in_the_background_for_its_managers(
    client, manager, other_hub_manager, hub, cycle, placed, monkeypatch,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    from orders.models import CycleDocument

    monkeypatch.setattr(documents, "ON_DEMAND_ORDERS", 1)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("cycles:packing_sheets", args=[hub.slug, cycle.pk]))
    assert response.url == reverse("cycles:documents", args=[hub.slug, cycle.pk])
    document = CycleDocument.objects.get()
    assert document.status == CycleDocument.Status.DONE  # Huey runs at once in tests
    page = client.get(response.url, HTTP_HX_REQUEST="true")
    download = reverse("cycles:document_download", args=[hub.slug, cycle.pk, document.pk])
    assert download in page.content.decode()
    pdf = client.get(download)
    assert pdf["Content-Type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages) >= 1

    # Asked again with nothing changed: the file at once, no second build.
    again = client.get(reverse("cycles:packing_sheets", args=[hub.slug, cycle.pk]))
    assert again["Content-Type"] == "application/pdf"
    assert CycleDocument.objects.count() == 1
    # An order cancelled: the file is out of date, and a new one is built.
    cancel_order(order=placed[1], notify=False)
    page = client.get(reverse("cycles:documents", args=[hub.slug, cycle.pk]))
    assert "périmé" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("cycles:packing_sheets", args=[hub.slug, cycle.pk]))
    assert CycleDocument.objects.count() == 2
    assert CycleDocument.objects.latest("pk").orders == 2

    client.force_login(other_hub_manager)
    assert client.get(download).status_code == 404
    url = reverse("cycles:document_request", args=[hub.slug, cycle.pk, "packing_sheets"])
    assert client.post(url).status_code == 404


def test_one_build_at_a_time_and_abandoned_ones_are_given_up(cycle, manager):
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import CycleDocument

    stuck = CycleDocument.objects.create(
        cycle=cycle, kind="packing_sheets", status=CycleDocument.Status.RUNNING,
        created_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    fresh = documents.request_document(cycle=cycle, kind="packing_sheets", by=manager)
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == CycleDocument.Status.FAILED
    again = documents.request_document(cycle=cycle, kind="packing_sheets", by=manager)
    assert again.pk == fresh.pk
