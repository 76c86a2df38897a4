"""The blocks editors build the body of a page with: few, plain, accessible."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

TEXT_FEATURES = ["bold", "italic", "h2", "h3", "ol", "ul", "link"]


class PhotoBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("photo"))
    alt = blocks.CharBlock(
        label=_("description for people who cannot see the photo"),
        required=False,
        max_length=200,
        help_text=_("Leave empty if the photo is only decorative."),
    )
    caption = blocks.CharBlock(label=_("caption"), required=False, max_length=200)

    class Meta:
        icon = "image"
        label = _("Photo")
        template = "content/blocks/photo.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("quote"))
    author = blocks.CharBlock(label=_("who said it"), required=False, max_length=150)

    class Meta:
        icon = "openquote"
        label = _("Quote")
        template = "content/blocks/quote.html"


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"),
        icon="title",
        form_classname="title",
        template="content/blocks/heading.html",
    )
    paragraph = blocks.RichTextBlock(label=_("Text"), features=TEXT_FEATURES)
    photo = PhotoBlock()
    quote = QuoteBlock()


class TeamMemberBlock(blocks.StructBlock):
    name = blocks.CharBlock(label=_("name"), max_length=150)
    role = blocks.CharBlock(label=_("role"), max_length=150, required=False)
    photo = ImageChooserBlock(label=_("photo"), required=False)
    about = blocks.TextBlock(label=_("a few words"), required=False)

    class Meta:
        icon = "user"
        label = _("Team member")
        template = "content/blocks/team_member.html"
