"""A person's own account: "My account", and the code that proves who they are again."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub import inputs

from . import reauth
from .forms import ProfileForm


@login_required
def my_account(request):
    """Name, phone and language; links to the e-mail addresses, the password and the
    household's pages (orders, weekly baskets, calendar, "the shop is open" e-mails, data)."""
    user = request.user
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your details are saved."))
            # The page again, in the language just chosen.
            with translation.override(user.language):
                response = redirect(reverse("my_account"))
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
            return response
        user.refresh_from_db()  # the page shows what is saved, the form what was typed
    context = {
        "form": form,
        "addresses": user.emailaddress_set.order_by("-primary", "email"),
        "has_password": user.has_usable_password(),
        # orders sits above this app: its rows are reached through the user, not imported.
        "opening_alerts": user.opening_alerts.select_related("hub").order_by("hub__name"),
    }
    return render(request, "account/my_account.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def send_reauthentication_code(request):
    """E-mail a code that proves who one is (for people without a password), then go back
    to the page that asked for it."""
    try:
        reauth.send_code(request)
    except reauth.CodeNotSent:
        messages.info(request, _("A code was sent less than a minute ago: use that one."))
    else:
        messages.success(
            request,
            _("We have e-mailed a code to %(email)s. It is valid for %(minutes)s minutes.")
            % {"email": request.user.email, "minutes": reauth.CODE_SECONDS // 60},
        )
    return redirect(inputs.safe_next(request, request.POST.get("next")) or reverse("my_account"))
