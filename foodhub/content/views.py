from django.conf import settings
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.i18n import set_language as django_set_language
from wagtail import views as wagtail_views

from foodhub.inputs import safe_next


def home(request):
    """``/``: the home page, in French; someone who chose another language (the cookie
    the language buttons set) is sent to that language's home page instead."""
    if translation.get_language_from_path(request.path_info) is not None:
        return wagtail_views.serve(request, "")  # /en/: that language's home already
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen != settings.LANGUAGE_CODE and chosen in dict(settings.LANGUAGES):
        with translation.override(chosen):
            response = redirect("home")
    else:
        response = wagtail_views.serve(request, "")
    patch_vary_headers(response, ["Cookie"])  # caches keep one answer per choice
    return response


def set_language(request):
    """Django's ``set_language``, reading the ``next`` address in its own language.

    Django moves ``next`` into the chosen language by resolving it under the *active*
    language; Wagtail's catch-all then takes "/en/some-page/" for a French page called
    "en/some-page" and doubles the prefix. Resolving under the language the address
    carries gives the right page.

    A ``next`` that is not a local address ("abc", "//evil.example"...) is left out, so
    Django goes back to the page the visitor came from, or the home page.
    """
    if safe_next(request, request.POST.get("next", request.GET.get("next"))) is None:
        request.POST, request.GET = request.POST.copy(), request.GET.copy()
        request.POST.pop("next", None)
        request.GET.pop("next", None)
    next_url = request.POST.get("next", request.GET.get("next")) or ""
    source = translation.get_language_from_path(next_url) or settings.LANGUAGE_CODE
    with translation.override(source):
        response = django_set_language(request)
    # Someone logged in keeps the choice for the e-mails the worker sends them later.
    chosen = request.POST.get("language")
    user = request.user
    if (
        request.method == "POST"
        and user.is_authenticated
        and chosen in dict(settings.LANGUAGES)
        and user.language != chosen
    ):
        get_user_model().objects.filter(pk=user.pk).update(language=chosen)
    return response
