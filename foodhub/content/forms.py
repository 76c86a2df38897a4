from django.core.validators import ProhibitNullCharactersValidator
from django.forms import BoundField
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.blocks import StreamValue
from wagtail.images import get_image_model
from wagtail.images.models import AbstractImage
from wagtail.permissions import policy_registry

from foodhub.collation import french
from foodhub.hubs.models import is_reserved_at_root

#: URL names Wagtail serves its pages under (see foodhub/urls.py).
PAGE_URL_NAMES = {"wagtail_serve", "home"}


def address_taken(path: str, language: str) -> bool:
    """True when ``path`` (in ``language``) already leads to a Foodhub page: a shop, a
    dashboard...

    The shop lives at ``/<hub-slug>/`` and the application's pages at fixed addresses;
    Wagtail only gets what they leave, so a page there could never be seen. The address
    is resolved in its own language: "/en/lille/" is the English shop whatever language
    the editor works in.
    """
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return False
    return match.url_name not in PAGE_URL_NAMES


def images_in(value) -> list:
    """The photos a field's value holds: a photo, or the photos in a body's blocks."""
    if isinstance(value, AbstractImage):
        return [value]
    if isinstance(value, StreamValue):
        return [image for child in value for image in images_in(child.value)]
    if isinstance(value, dict):  # a StructBlock's value
        return [image for item in value.values() for image in images_in(item)]
    return []


class Unreadable:
    """What a field's data is when it is not what the page editor's script sends."""

    def __repr__(self):
        return "UNREADABLE"


UNREADABLE = Unreadable()

#: What Wagtail's widgets raise parsing data its editor never sends: a body without its
#: count of blocks, a block number that is not a number, rich text that is not JSON...
READING_ERRORS = (KeyError, ValueError, TypeError, AttributeError, IndexError)


class ReadableBoundField(BoundField):
    """A field whose posted data its widget cannot parse: UNREADABLE, not a server error."""

    @property
    def data(self):
        try:
            return super().data
        except READING_ERRORS:
            return UNREADABLE


class FoodhubPageForm(WagtailAdminPageForm):
    """Refuses a page address the application already uses, a pickup point page for a
    place that does not serve the page's hub, photos of another hub or producer, and a
    body or rich text whose data the editor's script did not send (Wagtail's own parsing
    of it failed with a server error: an empty POST had no count of blocks)."""

    bound_field_class = ReadableBoundField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hub = self._hub
        if hub is not None and "pickup_point" in self.fields:
            self.fields["pickup_point"].queryset = hub.pickup_points.order_by(french("name"))
        # A field whose data cannot be read keeps the page's value (a disabled field is
        # cleaned from its initial value and shown with it) and makes the form invalid.
        self._unreadable = [
            name for name in self.fields if self.is_bound and self[name].data is UNREADABLE
        ]
        for name in self._unreadable:
            self.fields[name].disabled = True

    @cached_property
    def _parent(self):
        if self.parent_page is not None:
            return self.parent_page.specific
        if self.instance.pk:
            return self.instance.get_parent().specific
        return None

    @cached_property
    def _hub(self):
        return getattr(self._parent, "hub", None)

    def clean(self):
        cleaned_data = super().clean()
        for name in self._unreadable:
            self.add_error(
                name,
                _(
                    "This field could not be read (the page was sent incomplete): "
                    "nothing was saved. Reload the page and make your changes again."
                ),
            )
        self._refuse_nul_bytes_in_parts()
        slug = cleaned_data.get("slug")
        parent = self._parent
        if slug and parent is not None and parent.depth > 1:
            parts = parent.get_url_parts()
            language = parent.locale.language_code
            if (parent.depth == 2 and is_reserved_at_root(slug)) or (
                parts and parts[2] and address_taken(f"{parts[2]}{slug}/", language)
            ):
                self.add_error(
                    "slug",
                    _(
                        "The address “%(slug)s” is already used by the site "
                        "(a shop or an application page). Choose another one."
                    )
                    % {"slug": slug},
                )
        point = cleaned_data.get("pickup_point")
        hub = self._hub
        if point is not None and hub is not None and not point.hubs.filter(pk=hub.pk).exists():
            self.add_error(
                "pickup_point",
                _("This pickup point does not serve %(hub)s.") % {"hub": hub.name},
            )
        self._check_photos(cleaned_data)
        return cleaned_data

    def _refuse_nul_bytes_in_parts(self):
        """A NUL byte cannot be stored (PostgreSQL refuses it, in text and in a body's
        JSON). Fields refuse it in their own value; a body's parts (a block's id...) are
        posted under the body's name and refused here."""
        for key in self.data:
            name = key.split("-", 1)[0]
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data[key]]
            if (
                key not in self.fields
                and name in self.fields
                and name not in self.errors
                and any(isinstance(value, str) and "\x00" in value for value in values)
            ):
                self.add_error(name, ProhibitNullCharactersValidator.message)

    def _check_photos(self, cleaned_data):
        """Wagtail's photo fields take any photo's number; an editor may use the photos of
        the collections they choose from (their hub's or producer's), and keep those
        already on the page (put there by the platform's administrators)."""
        user = getattr(self, "for_user", None)
        if user is None or user.is_superuser:
            return
        chosen = {
            name: {image.pk for image in images_in(value)}
            for name, value in cleaned_data.items()
            if name in self.fields
        }
        kept = {
            image.pk for name in chosen for image in images_in(getattr(self.instance, name, None))
        }
        wanted = set().union(*chosen.values()) - kept
        if not wanted:
            return
        images = policy_registry.get_by_type(get_image_model())
        allowed = set(
            images.instances_user_has_permission_for(user, "choose")
            .filter(pk__in=wanted)
            .values_list("pk", flat=True)
        )
        for name, pks in chosen.items():
            if pks & (wanted - allowed):
                self.add_error(
                    name,
                    _(
                        "This photo belongs to another hub or producer: choose one of yours, "
                        "or upload it."
                    ),
                )
