"""The demo's public pages, written from ``data/pages.toml`` and ``data/portraits.toml``:
the use case behind ``load_demo_pages``.

``load_demo_data`` creates the hubs, producers and pickup points in bulk (no signal runs);
``load_demo_pages`` sets up their pages, then writes them: the home page, each hub's story
and team, a portrait of every demo producer, a page per pickup point and hub, news and a
"who we are" page, in French, with English translations of the main pages.

It only writes a page that still has what the set-up gave it (one revision, the demo
fields empty) and only translates an English copy that is still an alias, so running it
again changes nothing and never overwrites what an editor wrote.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from wagtail.actions.convert_alias import ConvertAliasPageAction
from wagtail.models import Collection, Page

from foodhub.content import editors
from foodhub.content.models import (
    EditorGroup,
    HubPage,
    NewsIndexPage,
    NewsPage,
    PickupPointPage,
    ProducerPage,
    StandardPage,
)
from foodhub.hubs.models import Hub
from orders import clock
from pickup_points.models import PickupPoint
from producers.models import Producer

from . import files
from .files import blocks
from .photos import save_photo


@dataclass
class PagesSummary:
    filled: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    translated: list[str] = field(default_factory=list)
    images: int = 0

    def line(self) -> str:
        return (
            f"Demo pages: {len(self.filled)} filled, {len(self.created)} created, "
            f"{len(self.translated)} translated into English, {self.images} photos."
        )


def _untouched(page: Page, *demo_fields: str) -> bool:
    """The page still has what the set-up gave it: one revision, the demo's fields empty."""
    return page.revisions.count() <= 1 and not any(getattr(page, name) for name in demo_fields)


def _english(page: Page) -> Page | None:
    """The page's English copy if it is still an alias (nobody has translated it)."""
    copy = Page.objects.translation_of(page).filter(locale__language_code="en").first()
    if copy is None or copy.alias_of_id is None:
        return None
    return copy.specific


def _fill(page: Page, summary: PagesSummary, french: dict, english: dict) -> None:
    """Write the page's French words and publish it; then, if its English copy is still an
    alias, turn it into an ordinary page with the English words."""
    for name, value in french.items():
        setattr(page, name, value)
    editors.publish(page)
    summary.filled.append(page.url_path)
    copy = _english(page)
    if copy is None:
        return
    ConvertAliasPageAction(copy).execute(skip_permission_checks=True)
    for name, value in english.items():
        setattr(copy, name, value)
    editors.publish(copy)
    summary.translated.append(copy.url_path)


def _create(parent: Page, page: Page, summary: PagesSummary) -> Page:
    parent.add_child(instance=page)
    editors.publish(page)
    editors.add_aliases(page)
    summary.created.append(page.url_path)
    return page


def _words(words, suffix: str, *names: str) -> dict:
    """Some fields of a data record in one language: ``intro`` (French), ``intro_en``..."""
    return {name: getattr(words, name + suffix) for name in names}


def _team(team: list[files.TeamMember], suffix: str) -> list[tuple]:
    return [("member", {"name": m.name, **_words(m, suffix, "role", "about")}) for m in team]


def _photo_block(image, alt: str, caption: str, *, english: bool = False) -> tuple:
    return ("photo", {"image": image, "alt": _drawn(alt, english=english), "caption": caption})


def _drawn(alt: str, *, english: bool = False) -> str:
    """The demo's photos are drawn fields: their description says they are illustrations
    of what a real photo would show."""
    return f"Illustration{':' if english else ' :'} {alt[0].lower()}{alt[1:]}"


@transaction.atomic
def load_demo_pages() -> PagesSummary:
    """Write the demo's public pages, where nobody has written them yet.

    1. Set up every hub's and producer's page and group (``editors.set_up_all``).
    2. Fill the home page, the producers' page and each demo producer's portrait, each
       hub's page, when still as set up; translate their English aliases.
    3. Create a page per pickup point under each hub it serves, then the site's news and
       its "who we are" page, when missing; their English copies stay aliases.
    """
    summary = PagesSummary()
    editors.set_up_all()
    home = editors.ensure_site()
    root_collection = Collection.get_first_root_node()

    def image(title, slug, collection, **look):
        summary.images += 1
        return save_photo(title, slug, collection, **look)

    # 2. The home page and the producers' page.
    home, index = home.specific, editors.producer_index()
    for page, words, slug, fields in [
        (home, files.HOME, "accueil", ("intro", "body")),
        (index, files.PRODUCER_INDEX, "producteurs", ("intro",)),
    ]:
        if not _untouched(page, *fields):
            continue
        photo = image(words.image_title, slug, root_collection, ground=words.ground)
        french = {"intro": words.intro, "image": photo, "image_alt": _drawn(words.alt)}
        english = {
            "title": words.title_en,
            "intro": words.intro_en,
            "image_alt": _drawn(words.alt_en, english=True),
        }
        if words.body:
            french["body"], english["body"] = blocks(words.body), blocks(words.body_en)
        _fill(page, summary, french, english)

    producers = Producer.objects.in_bulk([demo.slug for demo in files.PRODUCERS], field_name="slug")
    for demo in files.PRODUCERS:
        producer, words = producers.get(demo.slug), files.PORTRAITS[demo.slug]
        if producer is None:
            continue
        page = ProducerPage.objects.get(producer=producer, locale=index.locale)
        if not _untouched(page, "portrait", "practices", "place"):
            continue
        collection = EditorGroup.objects.get(producer=producer).collection
        look = {"sky": words.sky, "ground": words.ground}
        main = image(producer.name, demo.slug, collection, **look)
        farm = image(words.caption, f"{demo.slug}-ferme", collection, **look)
        texts = ("intro", "portrait", "practices")
        _fill(
            page,
            summary,
            {
                **_words(words, "", *texts),
                "place": f"{demo.city} ({demo.postcode[:2]})",
                "image": main,
                "image_alt": _drawn(words.alt),
                "farm_photos": [_photo_block(farm, words.photo_alt, words.caption)],
            },
            {
                **_words(words, "_en", *texts),
                "image_alt": _drawn(words.alt_en, english=True),
                "farm_photos": [
                    _photo_block(farm, words.photo_alt_en, words.caption_en, english=True)
                ],
            },
        )

    # 2 and 3. Each hub's page, then its pickup points' pages.
    hubs = Hub.objects.in_bulk(list(files.HUB_STORIES), field_name="slug")
    point_images = {}
    for slug, words in files.HUB_STORIES.items():
        hub = hubs.get(slug)
        if hub is None:
            continue
        collection = EditorGroup.objects.get(hub=hub).collection
        page = HubPage.objects.get(hub=hub, locale=home.locale)
        if _untouched(page, "story", "values", "how_it_works", "team"):
            texts = ("intro", "story", "values", "how_it_works")
            _fill(
                page,
                summary,
                {
                    **_words(words, "", *texts),
                    "team": _team(words.team, ""),
                    "image": image(hub.name, slug, collection, sky=words.sky, ground=words.ground),
                    "image_alt": _drawn(words.alt),
                },
                {
                    **_words(words, "_en", *texts),
                    "title": words.title_en,
                    "team": _team(words.team, "_en"),
                    "image_alt": _drawn(words.alt_en, english=True),
                },
            )
        for point in PickupPoint.objects.filter(
            hubs=hub, slug__in=[row["slug"] for row in files.PICKUP_POINTS]
        ).order_by("name"):
            if PickupPointPage.objects.child_of(page).filter(pickup_point=point).exists():
                continue
            place = files.PLACES[point.slug]
            if point.slug not in point_images:
                point_images[point.slug] = image(
                    point.name, point.slug, collection, ground=place.ground
                )
            _create(
                page,
                PickupPointPage(
                    title=point.name,
                    slug=point.slug,
                    locale=page.locale,
                    pickup_point=point,
                    intro=point.tiers_lieu,
                    directions=f"<p>{place.directions}</p>",
                    hours=point.opening_notes,
                    about=place.about,
                    image=point_images[point.slug],
                    image_alt=_drawn(place.alt),
                ),
                summary,
            )

    # 3. The site's news and "who we are".
    news = files.NEWS
    if not NewsIndexPage.objects.child_of(home).exists():
        news_index = _create(
            home,
            NewsIndexPage(title=news.title, slug=news.slug, locale=home.locale, intro=news.intro),
            summary,
        )
        today = clock.today()
        for article in news.pages:
            _create(
                news_index,
                NewsPage(
                    title=article.title,
                    slug=article.slug,
                    locale=home.locale,
                    date=today - timedelta(days=article.days_ago),
                    intro=article.intro,
                    body=blocks(article.body),
                    image=image(
                        article.title, article.slug, root_collection, ground=article.ground
                    ),
                    image_alt=news.image_alt,
                ),
                summary,
            )
    about = files.ABOUT
    if not StandardPage.objects.child_of(home).filter(slug=about.slug).exists():
        _create(
            home,
            StandardPage(
                title=about.title,
                slug=about.slug,
                locale=home.locale,
                intro=about.intro,
                body=blocks(about.body),
            ),
            summary,
        )
    return summary
