from django import template
from django.conf import settings
from django.utils import translation
from wagtail.models import Page

register = template.Library()


@register.simple_tag(takes_context=True)
def language_choices(context) -> list[dict]:
    """Each language with where to go in it: a public page's own translation when it has
    one, else this address (``set_language`` moves it into the chosen language)."""
    request = context["request"]
    page = context.get("page")
    current = translation.get_language()
    here = request.get_full_path()
    translations = {}
    if isinstance(page, Page) and page.pk:
        for translated in (
            Page.objects.translation_of(page, inclusive=True).live().select_related("locale")
        ):
            translations[translated.locale.language_code] = translated
    choices = []
    for code, _name in settings.LANGUAGES:
        translated = translations.get(code)
        with translation.override(code):
            url = translated.get_url(request) if translated else here
        choices.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"].capitalize(),
                "next": url or here,
                "current": code == current,
            }
        )
    return choices
