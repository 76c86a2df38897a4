"""The catalogue's commands; each names its producer by the short name (slug)."""

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from producers.models import Producer


def producer_named(slug: str) -> Producer:
    """The producer with this short name; the command stops with a message if none."""
    try:
        return Producer.objects.get(slug=slug)
    except Producer.DoesNotExist:
        raise CommandError(
            _("No producer with the short name “%(slug)s”.") % {"slug": slug}
        ) from None
