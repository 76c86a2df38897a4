import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from producers.models import Product, StockMode, Unit, Variant, VatRate
from tests.factories import ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


def _image_bytes(fmt="JPEG", size=(40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, fmt)
    return buffer.getvalue()


def _product_data(category, **overrides):
    data = {
        "name": "Pommes Jonagold",
        "description": "Croquantes et sucrées.",
        "category": category.pk,
        "is_active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "30",
        "variants-0-name": "sac 2 kg",
        "variants-0-unit": Unit.KG,
        "variants-0-quantity_per_unit": "2",
        "variants-0-price": "4,50",
        "variants-0-vat_rate": VatRate.REDUCED,
        "variants-0-stock_mode": StockMode.COUNTED,
        "variants-0-stock_quantity": "12",
        "variants-0-sku": "POM-JON-2K",
        "variants-0-is_active": "on",
    }
    data.update(overrides)
    return data


def test_catalogue_lists_products_with_price_per_kg(client, producer, producer_member):
    variant = VariantFactory(
        product__producer=producer,
        product__name="Pommes Jonagold",
        name="sac 2 kg",
        unit=Unit.KG,
        quantity_per_unit=Decimal("2"),
        price=Decimal("4.50"),
    )
    client.force_login(producer_member)
    response = client.get(reverse("producers:catalogue", args=[producer.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pommes Jonagold" in html
    assert "4,50\xa0€" in html
    assert "2,25\xa0€/kg" in html  # 4.50 / 2 kg
    assert variant.reference_price() == (Decimal("2.25"), "kg")


@pytest.mark.parametrize(
    ("unit", "quantity", "price", "expected"),
    [
        (Unit.G, "250", "3.00", (Decimal("12.00"), "kg")),
        (Unit.CL, "75", "4.50", (Decimal("6.00"), "l")),
        (Unit.L, "1", "2.10", (Decimal("2.10"), "l")),
        (Unit.PIECE, "6", "3.00", None),
        (Unit.BUNCH, "1", "1.50", None),
    ],
)
def test_reference_price_per_kg_or_litre(unit, quantity, price, expected):
    variant = Variant(unit=unit, quantity_per_unit=Decimal(quantity), price=Decimal(price))
    assert variant.reference_price() == expected


def test_catalogue_search_and_filters(client, producer, producer_member, category, organic):
    apples = ProductFactory(producer=producer, name="Pommes", category=category)
    apples.labels.add(organic)
    VariantFactory(product=apples)
    leeks = ProductFactory(producer=producer, name="Poireaux", is_active=False)
    VariantFactory(product=leeks, stock_quantity=0)
    client.force_login(producer_member)
    url = reverse("producers:catalogue", args=[producer.slug])

    def names(**params):
        page = client.get(url, params).context["page"]
        return [p.name for p in page.object_list]

    assert names() == ["Poireaux", "Pommes"]
    assert names(q="pomm") == ["Pommes"]
    assert names(label="ab") == ["Pommes"]
    assert names(category="legumes") == ["Pommes"]
    assert names(status="inactive") == ["Poireaux"]
    assert names(status="out_of_stock") == ["Poireaux"]


def test_catalogue_query_count_does_not_grow_with_products(
    client, producer, producer_member, organic, django_assert_max_num_queries
):
    def add_products(n):
        for _ in range(n):
            product = ProductFactory(producer=producer)
            product.labels.add(organic)
            VariantFactory.create_batch(3, product=product)

    client.force_login(producer_member)
    url = reverse("producers:catalogue", args=[producer.slug])
    add_products(2)
    with django_assert_max_num_queries(14):
        client.get(url)
    add_products(20)
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 22


def test_producer_creates_a_product_with_a_variant(
    client, producer, producer_member, category, organic
):
    client.force_login(producer_member)
    data = _product_data(category, labels=[organic.pk])
    data["photo"] = SimpleUploadedFile("pommes.jpg", _image_bytes(), content_type="image/jpeg")
    response = client.post(reverse("producers:product_create", args=[producer.slug]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    product = Product.objects.get(producer=producer)
    assert product.name == "Pommes Jonagold"
    assert list(product.labels.all()) == [organic]
    assert product.photo.name.startswith("products/")
    variant = product.variants.get()
    assert variant.price == Decimal("4.50")  # French decimal comma accepted
    assert variant.quantity_per_unit == Decimal("2")
    assert variant.stock_quantity == 12
    assert variant.sku == "POM-JON-2K"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("variants-0-price", "-1"),
        ("variants-0-price", "0"),
        ("variants-0-price", "abc"),
        ("variants-0-price", "1,234"),
        ("variants-0-price", "999999"),
        ("variants-0-stock_quantity", "-3"),
        ("variants-0-stock_quantity", "2.5"),
        ("variants-0-quantity_per_unit", "0"),
        ("variants-0-unit", "barrel"),
        ("variants-0-vat_rate", "7"),
        ("name", ""),
        ("category", "999999"),
    ],
)
def test_bad_product_input_is_refused_and_nothing_is_written(
    client, producer, producer_member, category, field, value
):
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:product_create", args=[producer.slug]),
        {**_product_data(category), field: value},
    )
    assert response.status_code == 400
    assert "Veuillez corriger les erreurs" in response.content.decode()
    assert not Product.objects.exists()
    assert not Variant.objects.exists()


def test_a_product_needs_a_variant(client, producer, producer_member, category):
    client.force_login(producer_member)
    data = _product_data(category)
    for key in [k for k in data if k.startswith("variants-0-")]:
        data[key] = ""
    response = client.post(reverse("producers:product_create", args=[producer.slug]), data)
    assert response.status_code == 400
    assert not Product.objects.exists()


def test_sku_is_unique_within_a_producer(client, producer, producer_member, category):
    VariantFactory(product__producer=producer, sku="POM-JON-2K")
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:product_create", args=[producer.slug]), _product_data(category)
    )
    assert response.status_code == 400
    assert Product.objects.filter(name="Pommes Jonagold").count() == 0


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("fake.jpg", b"not an image at all", "image/jpeg"),
        ("anim.gif", _image_bytes("GIF"), "image/gif"),
        ("sneaky.jpg", _image_bytes("GIF"), "image/jpeg"),
    ],
)
def test_photo_type_is_checked(
    client, producer, producer_member, category, filename, content, content_type
):
    client.force_login(producer_member)
    data = _product_data(category)
    data["photo"] = SimpleUploadedFile(filename, content, content_type=content_type)
    response = client.post(reverse("producers:product_create", args=[producer.slug]), data)
    assert response.status_code == 400
    assert response.context["form"].errors["photo"]
    assert not Product.objects.exists()


def test_photo_size_is_checked(client, producer, producer_member, category, settings):
    settings.PHOTO_MAX_BYTES = 1000
    client.force_login(producer_member)
    data = _product_data(category)
    data["photo"] = SimpleUploadedFile("big.png", _image_bytes("PNG", (400, 400)), "image/png")
    response = client.post(reverse("producers:product_create", args=[producer.slug]), data)
    assert response.status_code == 400
    assert "limite" in " ".join(response.context["form"].errors["photo"])
    assert not Product.objects.exists()


def test_producer_edits_a_product_and_adds_a_variant(client, producer, producer_member, category):
    variant = VariantFactory(product__producer=producer, product__category=category, sku="A1")
    product = variant.product
    client.force_login(producer_member)
    data = _product_data(
        category,
        name="Pommes Boskoop",
        **{
            "variants-TOTAL_FORMS": "2",
            "variants-INITIAL_FORMS": "1",
            "variants-0-id": str(variant.pk),
            "variants-0-product": str(product.pk),
            "variants-0-sku": "A1",
            "variants-0-price": "5.00",
            "variants-1-name": "caisse 10 kg",
            "variants-1-unit": Unit.KG,
            "variants-1-quantity_per_unit": "10",
            "variants-1-price": "18",
            "variants-1-vat_rate": VatRate.REDUCED,
            "variants-1-stock_mode": StockMode.ON_DEMAND,
            "variants-1-stock_quantity": "0",
            "variants-1-sku": "",
            "variants-1-is_active": "on",
        },
    )
    response = client.post(
        reverse("producers:product_edit", args=[producer.slug, product.pk]), data
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Pommes Boskoop"
    assert [(v.name, v.price, v.stock_mode) for v in product.variants.order_by("pk")] == [
        ("sac 2 kg", Decimal("5.00"), StockMode.COUNTED),
        ("caisse 10 kg", Decimal("18.00"), StockMode.ON_DEMAND),
    ]


def test_duplicate_copies_variants_off_sale_without_sku_or_stock(
    client, producer, producer_member, organic
):
    variant = VariantFactory(
        product__producer=producer, product__name="Miel de tilleul", sku="MIEL-1", stock_quantity=8
    )
    variant.product.labels.add(organic)
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:product_duplicate", args=[producer.slug, variant.product.pk])
    )
    copy = Product.objects.exclude(pk=variant.product.pk).get()
    assert response.url == reverse("producers:product_edit", args=[producer.slug, copy.pk])
    assert copy.name == "Miel de tilleul (copie)"
    assert copy.is_active is False
    assert list(copy.labels.all()) == [organic]
    copied = copy.variants.get()
    assert (copied.name, copied.price, copied.sku, copied.stock_quantity) == (
        variant.name,
        variant.price,
        "",
        0,
    )
    client.post(reverse("producers:product_duplicate", args=[producer.slug, variant.product.pk]))
    assert Product.objects.filter(name="Miel de tilleul (copie) 2").exists()


def test_deactivate_and_reactivate_keeps_the_product(client, producer, producer_member):
    variant = VariantFactory(product__producer=producer)
    client.force_login(producer_member)
    url = reverse("producers:product_set_active", args=[producer.slug, variant.product.pk])
    client.post(url, {"active": "0"})
    variant.product.refresh_from_db()
    assert variant.product.is_active is False
    client.post(url, {"active": "1"})
    variant.product.refresh_from_db()
    assert variant.product.is_active is True
    assert Variant.objects.filter(pk=variant.pk).exists()


def test_deactivate_redirect_stays_on_site(client, producer, producer_member):
    variant = VariantFactory(product__producer=producer)
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:product_set_active", args=[producer.slug, variant.product.pk]),
        {"active": "0", "next": "https://evil.example.com/"},
    )
    assert response.url == producer.get_absolute_url()


def test_remove_a_never_ordered_variant_deletes_it_but_not_the_last_one(
    client, producer, producer_member
):
    first = VariantFactory(product__producer=producer, name="500 g")
    second = VariantFactory(product=first.product, name="1 kg")
    client.force_login(producer_member)
    client.post(reverse("producers:variant_remove", args=[producer.slug, second.pk]))
    assert not Variant.objects.filter(pk=second.pk).exists()
    client.post(reverse("producers:variant_remove", args=[producer.slug, first.pk]))
    assert Variant.objects.filter(pk=first.pk).exists()


def test_quick_editor_saves_a_row_with_htmx(client, producer, producer_member):
    variant = VariantFactory(product__producer=producer, price=Decimal("3.00"), stock_quantity=5)
    client.force_login(producer_member)
    page = client.get(reverse("producers:quick_editor", args=[producer.slug]))
    assert f'id="quick-{variant.pk}"' in page.content.decode()
    prefix = f"v{variant.pk}"
    response = client.post(
        reverse("producers:quick_update", args=[producer.slug, variant.pk]),
        {f"{prefix}-price": "3,20", f"{prefix}-stock_quantity": "42", f"{prefix}-is_active": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Enregistré" in response.content.decode()
    assert response.content.decode().lstrip().startswith("<form")
    variant.refresh_from_db()
    assert (variant.price, variant.stock_quantity) == (Decimal("3.20"), 42)


@pytest.mark.parametrize(
    ("price", "stock"), [("-2", "4"), ("abc", "4"), ("3", "-1"), ("3", "1.5"), ("3", "")]
)
def test_quick_editor_refuses_bad_values_and_keeps_the_old_ones(
    client, producer, producer_member, price, stock
):
    variant = VariantFactory(product__producer=producer, price=Decimal("3.00"), stock_quantity=5)
    client.force_login(producer_member)
    prefix = f"v{variant.pk}"
    response = client.post(
        reverse("producers:quick_update", args=[producer.slug, variant.pk]),
        {f"{prefix}-price": price, f"{prefix}-stock_quantity": stock, f"{prefix}-is_active": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert 'class="row-error"' in response.content.decode()
    variant.refresh_from_db()
    assert (variant.price, variant.stock_quantity) == (Decimal("3.00"), 5)


def test_quick_editor_without_javascript_redirects_back(client, producer, producer_member):
    variant = VariantFactory(product__producer=producer)
    client.force_login(producer_member)
    prefix = f"v{variant.pk}"
    response = client.post(
        reverse("producers:quick_update", args=[producer.slug, variant.pk]),
        {f"{prefix}-price": "2", f"{prefix}-stock_quantity": "7"},
    )
    assert response.status_code == 302
    variant.refresh_from_db()
    assert variant.stock_quantity == 7 and variant.is_active is False


def test_quick_editor_query_count_is_bounded(
    client, producer, producer_member, django_assert_max_num_queries
):
    VariantFactory.create_batch(40, product__producer=producer)
    client.force_login(producer_member)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("producers:quick_editor", args=[producer.slug]))
    assert len(response.context["rows"]) == 40


def test_an_ordered_variant_is_kept_off_sale_instead_of_deleted(
    client, producer, producer_member, monkeypatch
):
    """Order lines protect their variant (on_delete=PROTECT): removing it deactivates it."""
    from django.db.models import ProtectedError

    first = VariantFactory(product__producer=producer, name="500 g")
    ordered = VariantFactory(product=first.product, name="1 kg")

    def protected_delete(self, *args, **kwargs):
        raise ProtectedError("ordered", {self})

    monkeypatch.setattr(Variant, "delete", protected_delete)
    client.force_login(producer_member)
    response = client.post(
        reverse("producers:variant_remove", args=[producer.slug, ordered.pk]), follow=True
    )
    ordered.refresh_from_db()
    assert ordered.is_active is False
    assert "hors vente" in response.content.decode()
