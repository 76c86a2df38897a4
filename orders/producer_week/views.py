from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from producers.selectors import get_producer_for

from .selectors import producer_week


@login_required
def this_week(request, producer_slug):
    """The producer's week: what was ordered of it in each cycle, what it is paid, where
    and when to deliver. Its members only (another producer's: 404)."""
    producer = get_producer_for(request.user, producer_slug)
    return render(
        request,
        "orders/producer_week/this_week.html",
        {"producer": producer, "weeks": producer_week(producer)},
    )
