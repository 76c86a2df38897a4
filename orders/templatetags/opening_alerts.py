"""The "E-mail me when the shop opens" button of a hub's page."""

from django import template

from orders.households.alerts import has_opening_alert

register = template.Library()


@register.inclusion_tag("orders/_opening_alert.html", takes_context=True)
def opening_alert_button(context, hub):
    user = context["request"].user
    return {
        "hub": hub,
        "user": user,
        "alert_on": has_opening_alert(user, hub),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }
