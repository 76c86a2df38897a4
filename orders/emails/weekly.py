"""The e-mails of weekly baskets: the week's basket ordered (or not, or in part), and a
saved card refused at the close. Owed by ``orders.weekly_baskets.weekly`` with everything
they say in their params (as it was then)."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from orders import outbox
from orders.weekly_baskets.weekly import RunStatus, problem_reason_text, reason_text


@outbox.builder("weekly_basket_placed")
def build_placed_email(params: dict) -> EmailMessage:
    context = {
        **params,
        "problems": [
            {**problem, "reason_text": problem_reason_text(problem["reason"])}
            for problem in params.get("problems", [])
        ],
        "reason_text": reason_text(params["reason"]) if params.get("reason") else "",
        "closes_at": parse_datetime(params["closes_at"]),
        "pickup_date": parse_date(params["pickup_date"]) if params.get("pickup_date") else None,
        "site_name": settings.SITE_NAME,
    }
    if params["status"] == RunStatus.NOT_PLACED:
        subject = _("Your weekly basket at %(hub)s could not be ordered this week")
    elif params["status"] == RunStatus.PARTIAL:
        subject = _("Your weekly basket at %(hub)s is ordered, with items left out")
    else:
        subject = _("Your weekly basket at %(hub)s is ordered")
    body = render_to_string("orders/email/weekly_basket_placed.txt", context)
    return EmailMessage(subject % {"hub": params["hub"]}, body)


@outbox.builder("weekly_basket_card_failed")
def build_card_failed_email(params: dict) -> EmailMessage:
    context = {
        **params,
        "pickup_date": parse_date(params["pickup_date"]),
        "site_name": settings.SITE_NAME,
    }
    subject = _("Your card was refused: pay order %(number)s at pickup") % {
        "number": params["number"]
    }
    body = render_to_string("orders/email/weekly_basket_card_failed.txt", context)
    return EmailMessage(subject, body)
