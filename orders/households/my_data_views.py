"""A household's own data: the page, the downloads, deleting the account."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from foodhub import spreadsheets
from foodhub.accounts import reauth
from foodhub.accounts.forms import ReauthenticationForm

from . import my_data


@login_required
def my_data_page(request):
    return render(request, "orders/my_data.html", _deletion_context(request))


def _deletion_context(request, form=None) -> dict:
    return {
        "form": form or ReauthenticationForm(request=request),
        # People without a password prove who they are by a code e-mailed to them.
        "code_sent": reauth.has_pending_code(request),
    }


@login_required
def my_data_download(request, fmt):
    filename = f"foodhub-my-data-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "json":
        response = HttpResponse(my_data.export_json(request.user), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = spreadsheets.csv_response(my_data.export_csv(request.user), filename)
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def delete_account(request):
    """Delete the account once its owner has proved who they are again: by the password,
    or, without one, by the code e-mailed to them; and ticked the confirmation."""
    form = ReauthenticationForm(request.POST, request=request)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that you want to delete your account."))
        return redirect("orders:my_data")
    if not form.is_valid():
        messages.error(request, _("The account was not deleted."))
        return render(request, "orders/my_data.html", _deletion_context(request, form), status=400)
    try:
        my_data.delete_account(user=request.user)
    except my_data.AccountError as error:
        messages.error(request, str(error))
        return redirect("orders:my_data")
    logout(request)
    messages.success(request, _("Your account is deleted. Thank you for having ordered with us."))
    return redirect("home")
