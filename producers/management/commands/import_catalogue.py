from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from producers.catalogue_csv import CatalogueImportError, import_catalogue
from producers.management.commands import producer_named


class Command(BaseCommand):
    help = "Import a producer's catalogue from a CSV file (format: docs/catalogue-csv.md)."

    def add_arguments(self, parser):
        parser.add_argument("producer", help="the producer's short name (slug)")
        parser.add_argument("file", type=Path, help="the CSV file")

    def handle(self, *args, producer, file, **options):
        producer = producer_named(producer)
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": file, "error": error.strerror}
            ) from None

        try:
            result = import_catalogue(producer=producer, data=data)
        except CatalogueImportError as error:
            for row_error in error.errors:
                self.stderr.write(row_error.message)
            count = len(error.errors)
            raise CommandError(
                ngettext(
                    "%(count)s error; nothing was imported.",
                    "%(count)s errors; nothing was imported.",
                    count,
                )
                % {"count": count}
            ) from None

        self.stdout.write(result.summary())
        for note in result.stock_notes:
            self.stdout.write(note.message)
