"""Shortcuts the apps' views share, beside Django's own ``django.shortcuts``."""

from django.shortcuts import render


def render_form(request, template_name: str, context: dict):
    """The page of a form: 400 when it comes back after a POST (what was sent was refused,
    so the error shows in the logs and to htmx), 200 when it is first shown."""
    status = 400 if request.method == "POST" else 200
    return render(request, template_name, context, status=status)
