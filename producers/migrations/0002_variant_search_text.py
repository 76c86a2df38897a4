"""The shop's search text of every variant (Variant.search_text), filled for the rows that
exist; from then on producers.services.refresh_search_texts keeps it up to date."""

from django.db import migrations, models

from foodhub.text import folded


def fill_search_texts(apps, schema_editor):
    # The same text as producers.services.search_text, built from the historical models.
    Variant = apps.get_model("producers", "Variant")
    variants = Variant.objects.select_related(
        "product__producer", "product__category"
    ).prefetch_related("product__labels")
    changed = []
    for variant in variants.iterator(chunk_size=1000):
        product = variant.product
        parts = [
            product.name,
            variant.name,
            product.producer.name,
            product.category.name,
            *sorted(label.name for label in product.labels.all()),
        ]
        variant.search_text = " ".join(folded(part) for part in parts)
        changed.append(variant)
    Variant.objects.bulk_update(changed, ["search_text"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("producers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="variant",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_texts, migrations.RunPython.noop),
    ]
