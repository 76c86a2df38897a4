"""The project's own middleware."""

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

NUL = "\x00"


def _in(data) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in data.lists())


class RefuseNulMiddleware:
    """Answers 400, with a message, to a request carrying a NUL character in its address,
    its query, a cookie or its form's fields (names and values).

    Nobody types one, and no text Foodhub keeps may hold one: PostgreSQL refuses it (a
    server error), SQLite stores it. Django's form fields refuse it already; this covers,
    at one depth, what views read directly too (search boxes, filters, address arguments,
    hidden fields). Placed after LocaleMiddleware, so that the message is in the visitor's
    language, and before anything reads the session (its cookie is checked first).

    The form is read just before the view, unless the view is exempt from CSRF: such views
    read the request's body themselves (Stripe's webhook), which reading the form first
    would prevent. (Django strips NUL characters from the names of uploaded files; what
    files hold is for their readers, such as the catalogue import.)
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            NUL in request.path
            or _in(request.GET)
            or any(NUL in key or NUL in value for key, value in request.COOKIES.items())
        ):
            return self.refuse()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method == "POST"
            and not getattr(view_func, "csrf_exempt", False)
            and _in(request.POST)
        ):
            return self.refuse()
        return None

    @staticmethod
    def refuse():
        return HttpResponseBadRequest(
            _(
                "This request contains a NUL character (\\0), which is never valid: remove it "
                "and try again."
            ),
            content_type="text/plain; charset=utf-8",
        )
