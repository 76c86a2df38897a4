"""Signal receivers: thin, they call a use case."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from orders.checkout import basket


@receiver(user_logged_in, dispatch_uid="orders.merge_anonymous_basket")
def merge_basket_at_log_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        basket.merge_anonymous_basket(session=request.session, user=user)
