from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from producers.catalogue_csv import export_catalogue
from producers.management.commands import producer_named


class Command(BaseCommand):
    help = (
        "Export a producer's catalogue as CSV (format: docs/catalogue-csv.md), to stdout "
        "or, with --output, to a UTF-8 file with a BOM so that Excel shows the accents."
    )

    def add_arguments(self, parser):
        parser.add_argument("producer", help="the producer's short name (slug)")
        parser.add_argument("--output", "-o", type=Path, help="write to this file")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="fr: ';' and decimal commas; en: ',' and decimal points "
            "(default: the active language, French unless set otherwise)",
        )

    def handle(self, *args, producer, output, language, **options):
        producer = producer_named(producer)
        text = export_catalogue(producer=producer, language=language)
        if output is None:
            # No BOM on stdout: it would end up in the middle of pipes.
            self.stdout.write(text, ending="")
            return
        try:
            # newline="" keeps the CSV's own CRLF line ends as they are.
            output.write_text(text, encoding="utf-8-sig", newline="")
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": output, "error": error.strerror}
            ) from None
        self.stdout.write(_("Catalogue written to %(path)s.") % {"path": output})
