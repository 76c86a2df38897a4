"""The public pages, edited in the Wagtail admin by each hub and producer.

Pages tell the story; selling stays in ordinary models (``orders``). A page linked to a hub,
a producer or a pickup point reads what is happening now (the open cycle, this week's
offers, the next pickup dates) through ``selectors`` in its ``get_context``.

The tree, per language (French first, English as translated copies or aliases)::

    HomePage /
      HubPage                 the hub's story, linked to a Hub
        PickupPointPage       a place to collect, linked to a PickupPoint
        NewsIndexPage > NewsPage
        StandardPage
      ProducerIndexPage       the producers
        ProducerPage          a portrait, linked to a Producer
      NewsIndexPage > NewsPage
      StandardPage
"""

from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Collection, Page
from wagtail.search import index

from foodhub.collation import french

from . import selectors
from .blocks import TEXT_FEATURES, BodyBlock, PhotoBlock, TeamMemberBlock
from .forms import FoodhubPageForm

NEWS_PER_PAGE = 10


def _image_field(label):
    return models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class FoodhubPage(Page):
    """What every page here has: an introduction and a main photo, described for all."""

    intro = models.TextField(
        _("introduction"), blank=True, help_text=_("One or two sentences, shown in lists too.")
    )
    image = _image_field(_("main photo"))
    image_alt = models.CharField(
        _("description of the photo"),
        max_length=200,
        blank=True,
        help_text=_("For people who cannot see it. Leave empty if it is only decorative."),
    )

    base_form_class = FoodhubPageForm
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading=_("Photo")),
    ]

    class Meta:
        abstract = True

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["content_lang"] = selectors.content_lang_attribute(self)
        return context


class HomePage(FoodhubPage):
    """``/``: the hubs, their open cycles and next pickup dates."""

    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*FoodhubPage.content_panels, FieldPanel("body")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = [
        "content.HubPage",
        "content.ProducerIndexPage",
        "content.NewsIndexPage",
        "content.StandardPage",
    ]

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["hub_cards"] = selectors.hub_cards(HubPage.objects.child_of(self), timezone.now())
        context["producer_index"] = ProducerIndexPage.objects.child_of(self).live().first()
        context["news"] = selectors.latest_news(NewsPage.objects.descendant_of(self), limit=3)
        return context


class HubPage(FoodhubPage):
    """A hub's own page: its story, values, how it works, its team, and its shop's state."""

    hub = models.ForeignKey(
        "hubs.Hub", verbose_name=_("hub"), on_delete=models.PROTECT, related_name="+"
    )
    story = RichTextField(_("our story"), features=TEXT_FEATURES, blank=True)
    values = RichTextField(_("our values"), features=TEXT_FEATURES, blank=True)
    how_it_works = RichTextField(_("how it works"), features=TEXT_FEATURES, blank=True)
    team = StreamField([("member", TeamMemberBlock())], blank=True, verbose_name=_("the team"))

    content_panels = [
        *FoodhubPage.content_panels,
        FieldPanel("hub", permission="superuser"),
        FieldPanel("story"),
        FieldPanel("values"),
        FieldPanel("how_it_works"),
        FieldPanel("team"),
    ]
    search_fields = [
        *FoodhubPage.search_fields,
        index.SearchField("story"),
        index.SearchField("values"),
    ]
    parent_page_types = ["content.HomePage"]
    subpage_types = [
        "content.PickupPointPage",
        "content.NewsIndexPage",
        "content.StandardPage",
    ]

    owner_field = "hub"

    class Meta:
        verbose_name = _("hub page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(
            selectors.hub_page_context(
                self,
                timezone.now(),
                point_pages=PickupPointPage.objects.child_of(self),
                portraits=ProducerPage.objects.filter(locale_id=self.locale_id),
                news=NewsPage.objects.descendant_of(self),
            )
        )
        return context


class ProducerIndexPage(FoodhubPage):
    """The producers of every hub, each with its portrait."""

    parent_page_types = ["content.HomePage"]
    subpage_types = ["content.ProducerPage"]

    class Meta:
        verbose_name = _("producers' page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["portraits"] = (
            ProducerPage.objects.child_of(self)
            .live()
            .select_related("producer", "image")
            .order_by(french("title"))
        )
        return context


class ProducerPage(FoodhubPage):
    """A producer's portrait, written by the producer; shows what it offers this week."""

    producer = models.ForeignKey(
        "producers.Producer",
        verbose_name=_("producer"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    place = models.CharField(
        _("where the farm is"), max_length=150, blank=True, help_text=_("e.g. Wavrin (59)")
    )
    portrait = RichTextField(_("portrait"), features=TEXT_FEATURES, blank=True)
    practices = RichTextField(
        _("how we grow and make"),
        features=TEXT_FEATURES,
        blank=True,
        help_text=_("Farming practices, labels, animal welfare, seasons..."),
    )
    farm_photos = StreamField(
        [("photo", PhotoBlock())], blank=True, verbose_name=_("photos of the farm")
    )

    content_panels = [
        *FoodhubPage.content_panels,
        FieldPanel("producer", permission="superuser"),
        FieldPanel("place"),
        FieldPanel("portrait"),
        FieldPanel("practices"),
        FieldPanel("farm_photos"),
    ]
    search_fields = [
        *FoodhubPage.search_fields,
        index.SearchField("portrait"),
        index.SearchField("practices"),
    ]
    parent_page_types = ["content.ProducerIndexPage"]
    subpage_types = []

    owner_field = "producer"

    class Meta:
        verbose_name = _("producer's portrait")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["this_week"] = selectors.offers_this_week(self.producer, timezone.now())
        return context


class PickupPointPage(FoodhubPage):
    """A place where households collect their orders: directions, hours, map."""

    pickup_point = models.ForeignKey(
        "pickup_points.PickupPoint",
        verbose_name=_("pickup point"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    directions = RichTextField(
        _("how to get there"),
        features=TEXT_FEATURES,
        blank=True,
        help_text=_("Bus, metro, bike parking, step-free access..."),
    )
    hours = models.TextField(_("opening hours"), blank=True)
    about = RichTextField(_("about the place"), features=TEXT_FEATURES, blank=True)

    content_panels = [
        *FoodhubPage.content_panels,
        FieldPanel("pickup_point"),
        FieldPanel("directions"),
        FieldPanel("hours"),
        FieldPanel("about"),
    ]
    parent_page_types = ["content.HubPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("pickup point page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["pickups"] = selectors.next_pickups_at(self.pickup_point, timezone.now())
        return context


class StandardPage(FoodhubPage):
    """Any other page: who we are, the hub's charter, how to volunteer..."""

    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*FoodhubPage.content_panels, FieldPanel("body")]
    search_fields = [*FoodhubPage.search_fields, index.SearchField("body")]
    parent_page_types = ["content.HomePage", "content.HubPage", "content.StandardPage"]
    subpage_types = ["content.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


class NewsIndexPage(FoodhubPage):
    """The news of the site or of a hub, newest first."""

    parent_page_types = ["content.HomePage", "content.HubPage"]
    subpage_types = ["content.NewsPage"]

    class Meta:
        verbose_name = _("news index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        news = (
            NewsPage.objects.child_of(self).live().select_related("image").order_by("-date", "-pk")
        )
        context["news_page"] = Paginator(news, NEWS_PER_PAGE).get_page(request.GET.get("page"))
        return context


class NewsPage(FoodhubPage):
    date = models.DateField(_("date"), default=timezone.localdate)
    body = StreamField(BodyBlock(), blank=True, verbose_name=_("body"))

    content_panels = [*FoodhubPage.content_panels, FieldPanel("date"), FieldPanel("body")]
    search_fields = [*FoodhubPage.search_fields, index.SearchField("body")]
    parent_page_types = ["content.NewsIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news")


class EditorGroup(models.Model):
    """The Wagtail group whose members edit one hub's pages, or one producer's portrait.

    Its members are the hub's managers or the producer's members (kept in step by
    ``receivers``); its page permissions cover the hub page and everything below it,
    or the portrait only, in every language; its images live in its own collection.
    """

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="editors_of")
    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="+")
    hub = models.OneToOneField(
        "hubs.Hub", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    producer = models.OneToOneField(
        "producers.Producer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("editor group")
        verbose_name_plural = _("editor groups")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hub__isnull=False, producer__isnull=True)
                | models.Q(hub__isnull=True, producer__isnull=False),
                name="editor_group_of_hub_or_producer",
            )
        ]

    def __str__(self):
        return self.group.name
