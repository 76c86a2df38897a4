from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_site(sender, **kwargs):
    # After migrate, and after a test database is flushed: the languages, home page and
    # default site exist (migration 0002 creates them first; this keeps them).
    from .editors import ensure_site

    ensure_site()


class ContentConfig(AppConfig):
    name = "foodhub.content"
    label = "content"
    verbose_name = _("Public pages")

    def ready(self):
        from . import receivers  # noqa: F401

        post_migrate.connect(_ensure_site, sender=self, dispatch_uid="content_ensure_site")
