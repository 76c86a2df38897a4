from django.core.management.base import BaseCommand

from orders.stock import recount_slot_bookings


class Command(BaseCommand):
    help = "Count each pickup slot's live orders again and correct the slots that are wrong."

    def handle(self, *args, **options):
        corrections = recount_slot_bookings()
        for slot, was, now in corrections:
            self.stdout.write(f"slot {slot.pk} ({slot}): {was} -> {now}")
        self.stdout.write(f"{len(corrections)} slot(s) corrected.")
