from django import template
from django.conf import settings
from django.utils import translation
from wagtail.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def language_choices(context) -> list[dict]:
    """Each language with where to go in it: a public page's own translation when it is
    published, else the nearest published translation of a page above it (the home page
    at least); an application page's address, which ``set_language`` moves into the chosen
    language."""
    request = context["request"]
    page = context.get("page")
    current = translation.get_language()
    here = request.get_full_path()
    translations = {}
    if isinstance(page, Page) and page.pk:
        # The page, then its parents up to the home page: the first published in each
        # language wins (an unpublished translation would be a "page not found").
        keys = [page.translation_key] + list(
            page.get_ancestors()
            .filter(depth__gt=1)
            .order_by("-depth")
            .values_list("translation_key", flat=True)
        )
        rank = {key: position for position, key in enumerate(keys)}
        for translated in (
            Page.objects.filter(translation_key__in=keys).live().select_related("locale")
        ):
            code = translated.locale.language_code
            best = translations.get(code)
            if best is None or rank[translated.translation_key] < rank[best.translation_key]:
                translations[code] = translated
    query = request.META.get("QUERY_STRING", "")
    choices = []
    for code, _name in settings.LANGUAGES:
        translated = translations.get(code)
        with translation.override(code):
            url = translated.get_url(request) if translated else here
        if translated is not None and translated.translation_key == page.translation_key:
            # The same page in another language keeps its query (?page=2 of the news).
            url = f"{url}?{query}" if url and query else url
        choices.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"].capitalize(),
                "next": url or here,
                "current": code == current,
            }
        )
    return choices
