from django.core.management.base import BaseCommand

from foodhub.accounts.models import User
from foodhub.demo.files import DEMO_ACCOUNTS, DEMO_PASSWORD, HOUSEHOLD_NAMES, household_email
from foodhub.demo.world import load_demo_data
from foodhub.hubs.models import Hub


class Command(BaseCommand):
    help = (
        "Load a Lille-area demo world: hubs, producers and their catalogues, pickup points, "
        "households and one account per role. Safe to run again: creates only what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if the database already has a hub (used by `make run`).",
        )

    def handle(self, *args, if_empty=False, verbosity=1, **options):
        if if_empty and Hub.objects.exists():
            self.stdout.write("The database already has hubs: demo data not loaded.")
            if verbosity >= 1 and User.objects.filter(email=DEMO_ACCOUNTS[0].email).exists():
                self._print_logins()
            return

        summary = load_demo_data(stdout=self.stdout if verbosity >= 1 else None)
        if verbosity < 1:
            return
        if summary.total_created:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already loaded: nothing created.")
        self._print_logins()

    def _print_logins(self):
        rows = [("Role", "E-mail", "Password")]
        rows += [
            (f"{a.role} ({a.note})" if a.note else a.role, a.email, DEMO_PASSWORD)
            for a in DEMO_ACCOUNTS
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        self.stdout.write("")
        for index, row in enumerate(rows):
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write(line.rstrip())
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        self.stdout.write(
            f"\nThe {len(HOUSEHOLD_NAMES)} other households "
            f"({household_email(HOUSEHOLD_NAMES[0])}, ...) share the same password."
        )
