from django.db import migrations, models
from django.db.models import Count, Q


def count_bookings(apps, schema_editor):
    """Fill ``booked`` with each slot's live orders."""
    PickupSlot = apps.get_model("orders", "PickupSlot")
    live = Q(orders__status__in=["awaiting_payment", "placed"])
    for slot in PickupSlot.objects.annotate(live=Count("orders", filter=live)).filter(live__gt=0):
        PickupSlot.objects.filter(pk=slot.pk).update(booked=slot.live)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="pickupslot",
            name="booked",
            field=models.PositiveIntegerField(
                default=0, editable=False, verbose_name="households booked"
            ),
        ),
        migrations.RunPython(count_bookings, migrations.RunPython.noop),
    ]
