from django.core.management.base import BaseCommand

from foodhub.demo.pages import load_demo_pages


class Command(BaseCommand):
    help = (
        "Write the demo's public pages (home, hubs, producers' portraits, pickup points, "
        "news), with photos and English translations, where nobody has written them yet. "
        "Run load_demo_data first. Safe to run again: it never overwrites an editor's work."
    )

    def handle(self, *args, **options):
        summary = load_demo_pages()
        self.stdout.write(summary.line())
