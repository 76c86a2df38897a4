from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from . import dfc, dfc_access
from .models import Producer


# No log-in: other platforms read this address alone. The producer's choice (public) or a
# read key is the authority; without either the catalogue does not exist (404).
@require_GET
def catalogue_jsonld(request, producer_slug):
    producer = get_object_or_404(Producer, slug=producer_slug)
    if not dfc_access.may_read_catalogue(request, producer):
        raise Http404
    response = HttpResponse(dfc.render_catalogue(producer), content_type=dfc.MEDIA_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response
