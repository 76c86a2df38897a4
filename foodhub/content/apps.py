from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _ensure_site(sender, apps=None, **kwargs):
    # After migrate, and after a test database is flushed: the languages, home page and
    # default site exist (migration 0002 creates them first; this keeps them). Not when
    # the migration left the pages' tables out ("migrate hubs" on a new database,
    # "migrate content zero"): there is nothing to keep yet, or any more.
    try:
        (apps or global_apps).get_model("content", "HomePage")
        (apps or global_apps).get_model("wagtailcore", "Site")
    except LookupError:
        return
    from .editors import ensure_site  # the models it uses are not loaded when apps.py is read

    ensure_site()


class ContentConfig(AppConfig):
    name = "foodhub.content"
    label = "content"
    verbose_name = _("Public pages")

    def ready(self):
        from . import receivers  # noqa: F401

        post_migrate.connect(_ensure_site, sender=self, dispatch_uid="content_ensure_site")
