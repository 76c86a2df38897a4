from django.core.management.base import BaseCommand

from foodhub.content import editors


class Command(BaseCommand):
    help = (
        "Create the public site's home page, and each hub's and producer's page and "
        "editors' group where missing. Safe to run again."
    )

    def handle(self, *args, **options):
        hubs, producers = editors.set_up_all()
        self.stdout.write(f"{hubs} hubs, {producers} producers: public pages ready.")
