"""Shortcuts the apps' views share, beside Django's own ``django.shortcuts``."""

from contextlib import contextmanager

from django.contrib import messages
from django.shortcuts import render


def render_form(request, template_name: str, context: dict):
    """The page of a form: 400 when it comes back after a POST (what was sent was refused,
    so the error shows in the logs and to htmx), 200 when it is first shown."""
    status = 400 if request.method == "POST" else 200
    return render(request, template_name, context, status=status)


@contextmanager
def outcome_message(request, success: str, errors):
    """Run the block and tell the person how it went: ``success``, or the message of the
    error of ``errors`` (a use case's refusal, written for people) that stopped it.

        with outcome_message(request, _("The cycle is published."), OrderError):
            cycles.publish_cycle(cycle=cycle, by=request.user)
    """
    try:
        yield
    except errors as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
