"""htmx requests that cannot be served lead to a proper page, whichever view answered.

htmx swaps an answer into a part of the page. Two kinds of answers cannot be swapped:

- a redirect: the browser's XHR follows it by itself and htmx would swap the whole page
  it leads to into the target (the closed shop inside a product row);
- an error page (4xx, 5xx): htmx swaps nothing, so the tap seems to do nothing.

So, for htmx requests only:

1. A redirect becomes ``HX-Redirect``: the browser goes to that page. A ``next`` naming
   the htmx address itself (a log-in redirect of a POST-only endpoint) is replaced by the
   page the person is on, where they come back after logging in.
2. An error becomes ``HX-Redirect`` to the page the person is on (taken from
   ``HX-Current-URL`` when it is of this site), with a message saying what happened;
   the status code stays, for the logs.

422 is left alone: it is the answer htmx swaps in (a form or row with its error, see
``htmx-config`` in base.html). Answers that already speak to htmx (an ``HX-*`` header)
are left alone too.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

SWAPPED_ERRORS = {422}
REDIRECTS = {301, 302, 303, 307, 308}


def _error_message(status: int) -> str:
    if status in (401, 403):
        return _(
            "This could not be done: you may not do it, or your session has expired. "
            "Here is the page again."
        )
    if status == 404:
        return _(
            "What you asked for no longer exists (or not here): here is the page as it is now."
        )
    if status >= 500:
        return _("An error occurred on our side: try again in a moment. Here is the page again.")
    return _("This request could not be served: here is the page again.")


class HtmxPageMiddleware:
    """Placed after ``django_htmx.middleware.HtmxMiddleware`` (it reads ``request.htmx``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        if not htmx or htmx.history_restore_request:
            return response
        if any(header.lower().startswith("hx-") for header in response.headers):
            return response
        if response.status_code in REDIRECTS:
            return HttpResponseClientRedirect(self._with_next_fixed(request, response["Location"]))
        if response.status_code >= 400 and response.status_code not in SWAPPED_ERRORS:
            messages.error(request, _error_message(response.status_code))
            redirect = HttpResponseClientRedirect(self._current_page(request))
            redirect.status_code = response.status_code
            return redirect
        return response

    @staticmethod
    def _current_page(request) -> str:
        """The page the person is on, if it is one of this site's; else the home page."""
        url = request.htmx.current_url or ""
        if url and url_has_allowed_host_and_scheme(
            url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            parts = urlsplit(url)
            return urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return "/"

    def _with_next_fixed(self, request, location: str) -> str:
        """A ``next`` that names the htmx address becomes the page the person is on."""
        parts = urlsplit(location)
        query = parse_qsl(parts.query, keep_blank_values=True)
        if not any(key == "next" and value == request.get_full_path() for key, value in query):
            return location
        page = self._current_page(request)
        query = [(key, page if key == "next" else value) for key, value in query]
        return urlunsplit(parts._replace(query=urlencode(query)))
